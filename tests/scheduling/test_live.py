"""The day itself (scheduling.live): expected times from what has happened so far."""

import datetime as dt

from scheduling import live
from scheduling.models import ProgrammeItem
from tests.factories import hk


def _items(*spans, **marks) -> list[ProgrammeItem]:
    """Items of (start, minutes) at 4 March 2030, Hong Kong time."""
    items = []
    for number, (start, minutes) in enumerate(spans):
        begins = hk(2030, 3, 4, *start)
        item = ProgrammeItem(
            pk=number + 1, title=f"Stop {number + 1}", start=begins,
            end=begins + dt.timedelta(minutes=minutes),
        )  # fmt: skip
        for name, value in marks.get(f"item{number + 1}", {}).items():
            setattr(item, name, value)
        items.append(item)
    return items


def _expected(found) -> list[tuple]:
    def at(moment):
        return moment and moment.astimezone(hk(2030, 3, 4).tzinfo).strftime("%H:%M")

    return [(t.state, at(t.expected_start), at(t.expected_end)) for t in found]


TOUR = ((10, 0), 30), ((10, 35), 30), ((11, 10), 30)


def test_before_the_day_everything_is_as_planned():
    found = live.timings(_items(*TOUR), now=hk(2030, 3, 1, 9))

    assert _expected(found) == [
        ("planned", "10:00", "10:30"),
        ("planned", "10:35", "11:05"),
        ("planned", "11:10", "11:40"),
    ]
    assert [timing.slip for timing in found] == [dt.timedelta(0)] * 3


def test_a_late_start_pushes_every_later_item_and_an_early_finish_does_not_pull():
    items = _items(*TOUR, item1={"started_at": hk(2030, 3, 4, 10, 15)})

    found = live.timings(items, now=hk(2030, 3, 4, 10, 20))

    assert _expected(found) == [
        ("running", "10:15", "10:45"),
        ("planned", "10:45", "11:15"),
        ("planned", "11:15", "11:45"),
    ]
    assert found[2].slip_minutes == 5

    items[0].finished_at = hk(2030, 3, 4, 10, 25)  # done early after all
    assert _expected(live.timings(items, now=hk(2030, 3, 4, 10, 26)))[1:] == [
        ("planned", "10:35", "11:05"),
        ("planned", "11:10", "11:40"),
    ]


def test_an_overrun_holds_the_next_item_until_now_and_an_extension_lengthens():
    items = _items(*TOUR, item1={"started_at": hk(2030, 3, 4, 10), "extra_minutes": 10})

    assert _expected(live.timings(items, now=hk(2030, 3, 4, 10, 5)))[:2] == [
        ("running", "10:00", "10:40"),
        ("planned", "10:40", "11:10"),
    ]
    # Still running at 10:50: it ends no earlier than now, and the next cannot start before.
    assert _expected(live.timings(items, now=hk(2030, 3, 4, 10, 50)))[:2] == [
        ("running", "10:00", "10:50"),
        ("planned", "10:50", "11:20"),
    ]


def test_a_skipped_item_takes_no_time_and_now_and_next_name_the_running_and_the_next():
    items = _items(
        *TOUR,
        item1={"started_at": hk(2030, 3, 4, 10), "finished_at": hk(2030, 3, 4, 10, 40)},
        item2={"skipped": True},
    )

    found = live.timings(items, now=hk(2030, 3, 4, 10, 41))

    assert _expected(found) == [
        ("done", "10:00", "10:40"),
        ("skipped", None, None),
        ("planned", "11:10", "11:40"),
    ]
    current, following = live.now_and_next(found)
    assert current is None and following.item.title == "Stop 3"

    items[2].started_at = hk(2030, 3, 4, 11, 12)
    current, following = live.now_and_next(live.timings(items, now=hk(2030, 3, 4, 11, 13)))
    assert current.item.title == "Stop 3" and following is None
