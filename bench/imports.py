"""Imports bench: does saving a 5,000-row guest list cost no more than twice writing the same rows
with bare ``bulk_create``?

A tentative event at a site, 50 organisations on file, and an XLSX file written by openpyxl
with 5,000 rows (English and Chinese names, an organisation, an address, a role, an RSVP,
guests, an Excel date-and-time call time, a dietary note on some). Each round, timed in turn
(the order swapped every round), on a new event and with addresses new to the database:

- the baseline: ``Person.objects.bulk_create`` of the 5,000 people with the same values, then
  ``Attendance.objects.bulk_create`` of their 5,000 attendances, in one transaction;
- everything bare: the same, and also the rows the import writes beside them, each with bare
  ``bulk_create``: a historical row per attendance (who added it and why) and a change-log row
  per person and per attendance (what API sync and ETags read);
- the import: ``attendee_import_confirm`` of the preview of that file (made untimed just
  before, as the staff page does on upload): the rows checked again under the event's lock,
  the people and attendances inserted through visitors.bulk with their history, change log
  and invites (none here: the event is tentative), and the preview deleted.

Figures: the import's median against the baseline's (goal: at most 2); against everything bare
(what the import adds to writing its rows: checks, matching again, invites, JSON; goal: at most
1.5); the preview (reading the workbook, checking and matching every row) for what it is; the
queries of each.

Run through ``python -m bench imports`` (a throwaway database).
"""

import argparse
import datetime as dt
import io
import statistics
import time
import zoneinfo

from bench.harness import Prepared, database_label, emit, progress, setup_django

HK = zoneinfo.ZoneInfo("Asia/Hong_Kong")
GOAL = 2.0
OWN_GOAL = 1.5  # against every row the import writes, written bare
ROLES = ("Guest", "Speaker", "Media", "host", "Guest of honour")
RSVPS = ("Accepted", "needs action", "Tentative", "")
DIETS = ("", "", "", "Vegetarian", "No pork", "Halal")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000", help="rows in the file")
    parser.add_argument("--queries", type=int, default=5, help="timed rounds")
    parser.add_argument("--holds", dest="_ignored", help=argparse.SUPPRESS)
    parser.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    size = int(args.sizes.split(",")[-1])

    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    world = World(size)
    timings: dict[str, list[float]] = {"bare": [], "all": [], "import": [], "preview": []}
    queries: dict[str, int] = {}
    for round_ in range(args.queries + 1):  # the first round warms up, untimed
        world.settle()
        sides = [
            ("bare", world.bare()),
            ("all", world.bare(everything=True)),
            ("import", world.importing(timings["preview"])),
        ]
        for name, action in sides if round_ % 2 == 0 else reversed(sides):
            prepare = getattr(action, "prepare", None)
            if prepare is not None:
                prepare()
            started = time.perf_counter()
            count = world.counting(action)
            elapsed = (time.perf_counter() - started) * 1000
            if round_:
                timings[name].append(elapsed)
                queries[name] = count
        if round_:
            progress(
                f"round {round_}: bare {timings['bare'][-1]:.0f} ms, "
                f"everything bare {timings['all'][-1]:.0f} ms, "
                f"import {timings['import'][-1]:.0f} ms"
            )
    world.check()
    bare, everything, saved = (
        statistics.median(timings[name]) for name in ("bare", "all", "import")
    )
    preview = statistics.median(timings["preview"][1:] or timings["preview"])
    emit(
        {
            "bench": "imports",
            "database": database_label(),
            "figures": [
                {
                    "figure": f"saving a {size:,}-row XLSX guest list (people and attendances)",
                    "unit": "ms",
                    "baseline": {"label": "bare bulk_create of the same rows", "value": bare},
                    "value": {"label": "attendee_import_confirm", "value": saved},
                    "ratio": round(saved / bare, 2),
                    "goal": GOAL,
                },
                {
                    "figure": "the same, against every row it writes (history, change log too)",
                    "unit": "ms",
                    "baseline": {"label": "bare bulk_create of them all", "value": everything},
                    "value": {"label": "attendee_import_confirm", "value": saved},
                    "ratio": round(saved / everything, 2),
                    "goal": OWN_GOAL,
                },
                {
                    "figure": "previewing that file (read, checked, matched, kept)",
                    "unit": "ms",
                    "baseline": {"label": "bare bulk_create", "value": bare},
                    "value": {"label": "attendee_import_preview", "value": preview},
                    "ratio": round(preview / bare, 2),
                    "goal": None,
                },
            ],
            "notes": f"queries: bare {queries['bare']}, everything bare {queries['all']}, "
            f"import {queries['import']} "
            f"({size:,} rows, {args.queries} rounds)",
        }
    )


class World:
    """The site, the organisations, the officer, and a new file and event for every round."""

    def __init__(self, size: int) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from desk.staff_groups import PROTOCOL_OFFICERS
        from scheduling.models import Site
        from visitors.models import Organisation

        self.size = size
        self.site = Site.objects.create(name="Science Park", slug="science-park", address="-")
        self.organisations = Organisation.objects.bulk_create(
            Organisation(name=f"Tenant {n} Limited", name_zh=f"租戶{n}", slug=f"tenant-{n}")
            for n in range(50)
        )
        user = get_user_model().objects.create_user("bench-officer", is_staff=True)
        user.groups.add(Group.objects.get(name=PROTOCOL_OFFICERS))
        self.user = get_user_model().objects.get(pk=user.pk)
        self.rounds = 0
        self.events: list[int] = []

    @staticmethod
    def settle() -> None:
        """Refresh the planner's statistics, untimed, as autovacuum does on a running server
        after a change this size: each round adds 15,000 people to a database that held none,
        and plans made for empty tables would read every person for each address."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def event(self):
        from scheduling.models import Event

        self.rounds += 1
        start = dt.datetime(2030, 3, 4, 10, tzinfo=HK) + dt.timedelta(days=self.rounds)
        event = Event.objects.create(
            title=f"Forum {self.rounds}",
            site=self.site,
            status=Event.Status.TENTATIVE,
            start=start,
            end=start + dt.timedelta(hours=3),
        )
        self.events.append(event.pk)
        return event

    def values(self, tag: str) -> list[dict]:
        """The rows of a file, with addresses no other round uses."""
        return [
            {
                "honorific": "Ms" if n % 2 else "Mr",
                "name": f"Guest {tag} {n}",
                "name_zh": f"嘉賓{tag}{n}",
                "post": "Director",
                "organisation": self.organisations[n % len(self.organisations)],
                "email": f"guest.{tag}.{n}@example.org",
                "role": ROLES[n % len(ROLES)],
                "rsvp": RSVPS[n % len(RSVPS)],
                "guests": n % 3,
                "call_time": dt.datetime(2030, 3, 4, 9, 30) + dt.timedelta(days=self.rounds),
                "dietary": DIETS[n % len(DIETS)],
            }
            for n in range(self.size)
        ]

    def workbook(self, rows: list[dict]) -> bytes:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.append(
            [
                "Honorific",
                "Name",
                "Chinese name",
                "Post",
                "Organisation",
                "E-mail",
                "Role",
                "RSVP",
                "Guests",
                "Call time",
                "Dietary",
            ]
        )
        for row in rows:
            sheet.append(
                [
                    row["honorific"],
                    row["name"],
                    row["name_zh"],
                    row["post"],
                    row["organisation"].name,
                    row["email"],
                    row["role"],
                    row["rsvp"],
                    row["guests"],
                    row["call_time"],
                    row["dietary"],
                ]
            )
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()

    def bare(self, *, everything: bool = False):
        """bulk_create of the same people and attendances, in one transaction; everything: and
        of the history and change-log rows the import writes beside them."""
        from django.db import transaction
        from django.utils import timezone

        from core.models import Change
        from visitors.models import Attendance, Person

        event = self.event()
        rows = self.values(f"b{self.rounds}")

        def action():
            with transaction.atomic():
                people = Person.objects.bulk_create(
                    [
                        Person(
                            honorific=row["honorific"],
                            name=row["name"],
                            name_zh=row["name_zh"],
                            post=row["post"],
                            organisation=row["organisation"],
                            email=row["email"],
                        )
                        for row in rows
                    ],
                    batch_size=500,
                )
                attendances = Attendance.objects.bulk_create(
                    [
                        Attendance(
                            event=event,
                            person=person,
                            role=row["role"].lower().replace(" ", "_"),
                            guests=row["guests"],
                            call_time=row["call_time"].replace(tzinfo=HK),
                            dietary=row["dietary"],
                        )
                        for person, row in zip(people, rows, strict=True)
                    ],
                    batch_size=500,
                )
                if not everything:
                    return
                now = timezone.now()
                history = Attendance.history.model
                kept = {field.attname for field in history._meta.concrete_fields}
                tracked = [f.attname for f in Attendance._meta.concrete_fields if f.attname in kept]
                history.objects.bulk_create(
                    [
                        history(
                            history_date=now,
                            history_user=self.user,
                            history_change_reason="Imported from: guests.xlsx",
                            history_type="+",
                            **{name: getattr(attendance, name) for name in tracked},
                        )
                        for attendance in attendances
                    ],
                    batch_size=500,
                )
                logged = [
                    (Change.Entity.PERSON, person.pk, None, Change.Verb.CREATED)
                    for person in people
                ] + [
                    (Change.Entity.ATTENDANCE, a.pk, event.pk, Change.Verb.UPDATED)
                    for a in attendances
                ]
                Change.objects.bulk_create(
                    [
                        Change(
                            entity=entity,
                            object_id=pk,
                            event_id=event_id,
                            visibility="internal",
                            was_visibility="internal",
                            verb=verb,
                            created_at=now,
                        )
                        for entity, pk, event_id, verb in logged
                    ],
                    batch_size=500,
                )

        return action

    def importing(self, preview_ms: list[float]) -> Prepared:
        """The confirmation of a preview made just before (untimed here, timed apart)."""
        from visitors.imports.services import attendee_import_confirm, attendee_import_preview

        event = self.event()
        data = self.workbook(self.values(f"i{self.rounds}"))
        made = {}

        def prepare():
            started = time.perf_counter()
            made["batch"] = attendee_import_preview(
                event_id=event.pk, data=data, filename="guests.xlsx", by=self.user
            )
            preview_ms.append((time.perf_counter() - started) * 1000)

        def action():
            result = attendee_import_confirm(batch_id=made["batch"].pk, by=self.user)
            assert result.added == self.size and not result.skipped, result.skipped[:3]

        return Prepared(prepare, action)

    @staticmethod
    def counting(action) -> int:
        """Run the action; the queries it made (counted without keeping their SQL, which for
        bulk inserts would cost more than the inserts)."""
        from django.db import connection

        count = 0

        def counted(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            action()
        return count

    def check(self) -> None:
        """Every round's event holds its whole list."""
        from visitors.models import Attendance

        counts = Attendance.objects.filter(event_id__in=self.events).values_list("event_id")
        assert counts.count() == self.size * len(self.events), "rows missing"


if __name__ == "__main__":
    main()
