"""The four events the press releases describe, item by item.

Dates and speakers are the releases'. Times, rooms, staff and the order of minor items are not
given anywhere, so they are chosen to be plausible; each event's internal notes say what was
assumed.
"""

import datetime as dt

from scheduling.models import Event, ProgrammeItem, ProgrammeRole
from visitors.models import Attendance, Pass

from . import world as w
from .specs import AttendeeSpec, DelegationSpec, EventSpec, ItemSpec, PassSpec, VehicleSpec, hk

Kind, Part, Role = ProgrammeItem.Kind, ProgrammeRole.Part, Attendance.Role
STAFF_ONLY = ProgrammeItem.Visibility.INTERNAL

INNOPARK_DAY = dt.date(2021, 11, 26)
INSPECTION_DAY = dt.date(2022, 5, 5)
FORUM_DAY = dt.date(2023, 11, 28)
HSITP_DAY = dt.date(2025, 12, 22)


def _innopark(day: dt.date = INNOPARK_DAY) -> EventSpec:
    def t(hhmm: str) -> dt.datetime:
        return hk(day, hhmm)

    officiating = ("alfred-sit", "annie-choi", "rebecca-pun", "sunny-chai", "albert-wong")
    innofacturers = ("simon-yeung", "edmond-yau", "ryan-lee")
    return EventSpec(
        reference="DEMO-2021-INNOPARK",
        title="INNOPARK Activation Ceremony and MARS Centre Announcement",
        kind=Event.Kind.CEREMONY,
        site=w.TAI_PO,
        start=t("14:30"),
        end=t("17:30"),
        status=Event.Status.COMPLETED,
        visibility=Event.Visibility.PUBLIC,
        host="hkstp",
        description=(
            "HKSTP re-positions its industrial estates in Tai Po, Tseung Kwan O and Yuen Long as "
            "INNOPARK and announces the MARS Centre at Tai Po INNOPARK, a purpose-built facility "
            "for manufacturing medical supplies. Two fireside chats follow."
        ),
        internal_notes=(
            "Date, speakers and officiating party from the HKSTP press release of 26 Nov 2021. "
            "Times and rooms chosen for the demo."
        ),
        items=(
            ItemSpec(
                t("14:30"),
                t("15:00"),
                "VIP reception",
                Kind.OTHER,
                w.MARS_VIP,
                roles=tuple((key, Part.PARTICIPANT) for key in officiating),
                visibility=STAFF_ONLY,
                cue_notes="Meet the Secretary's car at the MARS Centre drop-off at 14:25.",
            ),
            ItemSpec(
                t("15:00"),
                t("15:10"),
                "Welcome remarks",
                Kind.REMARKS,
                w.MARS_HALL,
                roles=(("sunny-chai", Part.SPEAKER),),
                description="The re-positioning of the three industrial estates as INNOPARK and "
                "eight guiding principles for re-industrialisation.",
            ),
            ItemSpec(
                t("15:10"),
                t("15:25"),
                "Announcement of the MARS Centre",
                Kind.REMARKS,
                w.MARS_HALL,
                roles=(("albert-wong", Part.SPEAKER),),
                description="Launch of the MARS Centre in Tai Po INNOPARK for medical and "
                "precision manufacturing.",
            ),
            ItemSpec(
                t("15:25"),
                t("15:40"),
                "INNOPARK activation ceremony and group photo",
                Kind.CEREMONY,
                w.MARS_HALL,
                roles=tuple((key, Part.OFFICIATING) for key in officiating),
                cue_notes="Secretary centre; Permanent Secretary and Commissioner to his left, "
                "Chairman and CEO to his right.",
            ),
            ItemSpec(
                t("15:40"),
                t("16:15"),
                "Fireside chat: industrial veterans on re-industrialisation",
                Kind.FIRESIDE_CHAT,
                w.MARS_HALL,
                roles=(("albert-wong", Part.MODERATOR), ("sunny-chai", Part.SPEAKER)),
            ),
            ItemSpec(
                t("16:15"),
                t("16:50"),
                "Fireside chat: the next generation of innofacturers",
                Kind.FIRESIDE_CHAT,
                w.MARS_HALL,
                roles=(
                    ("hl-yiu", Part.MODERATOR),
                    *((key, Part.PANELLIST) for key in innofacturers),
                ),
            ),
            ItemSpec(
                t("16:55"),
                t("17:25"),
                "Media session on Innofacturing",
                Kind.OTHER,
                w.MARS_VIP,
                roles=(
                    ("albert-wong", Part.SPEAKER),
                    ("hl-yiu", Part.SPEAKER),
                    *((key, Part.SPEAKER) for key in innofacturers),
                ),
            ),
        ),
        attendees=(
            AttendeeSpec("alfred-sit", Role.GUEST_OF_HONOUR),
            AttendeeSpec("annie-choi", Role.OFFICIATING_GUEST),
            AttendeeSpec("rebecca-pun", Role.OFFICIATING_GUEST),
            AttendeeSpec("sunny-chai", Role.HOST),
            AttendeeSpec("albert-wong", Role.HOST),
            AttendeeSpec("hl-yiu", Role.MODERATOR),
            AttendeeSpec("simon-yeung", Role.PANELLIST),
            AttendeeSpec("edmond-yau", Role.PANELLIST),
            AttendeeSpec("ryan-lee", Role.PANELLIST),
            AttendeeSpec("jason-ng", Role.MEDIA, call_time=t("14:00")),
            AttendeeSpec(
                "kenneth-lau", Role.ESCORT, call_time=t("14:00"), notes="Escorts the Secretary."
            ),
            AttendeeSpec("carmen-ho", Role.STAFF, call_time=t("12:30")),
            AttendeeSpec("joyce-tam", Role.STAFF, call_time=t("13:30"), notes="Media liaison."),
        ),
        delegations=(
            DelegationSpec(
                "Secretary for Innovation and Technology and party",
                "創新及科技局局長一行",
                lead="alfred-sit",
                notes="The Secretary leaves after the fireside chats; the media session is "
                "HKSTP's.",
                vehicles=(
                    VehicleSpec(
                        "AM 6",
                        "Lexus ES",
                        "black",
                        "Mr Wong Siu-ming",
                        "9345 6712",
                        ("alfred-sit",),
                        car_call=130,  # 16:40, as the second fireside chat winds up
                        drop_off_point="MARS Centre drop-off",
                        pick_up_point="MARS Centre drop-off",
                    ),
                ),
                passes=(
                    PassSpec(Pass.Kind.VEHICLE, "TP-VP-0412", Pass.Status.RETURNED, plate="AM 6"),
                ),
            ),
        ),
    )


def _inspection(day: dt.date = INSPECTION_DAY) -> EventSpec:
    def t(hhmm: str) -> dt.datetime:
        return hk(day, hhmm)

    party = (("alfred-sit", Part.PARTICIPANT), ("rebecca-pun", Part.PARTICIPANT))
    stops = (
        (
            "time-medical",
            "Time Medical Systems",
            w.MARS_TIME_MEDICAL,
            "simon-yeung",
            "Next-generation magnetic resonance imaging.",
        ),
        ("koln-3d", "Koln 3D Technology (Medical) Limited", w.MARS_KOLN, "edmond-yau", ""),
        ("shan-ho", "Shan Ho Asia Pacific Limited", w.MARS_SHAN_HO, "ryan-lee", ""),
    )
    items = [
        ItemSpec(
            t("10:00"),
            t("10:15"),
            "Arrival and briefing on the MARS Centre",
            Kind.REMARKS,
            w.MARS_VIP,
            roles=(("sunny-chai", Part.SPEAKER), *party),
        ),
    ]
    stop_start = t("10:15")
    for slug, name, facility, host, description in stops:
        arrive = stop_start + dt.timedelta(minutes=5)
        leave = arrive + dt.timedelta(minutes=25)
        items.append(ItemSpec(stop_start, arrive, f"Transfer to {name}", Kind.TRANSFER))
        items.append(
            ItemSpec(
                arrive,
                leave,
                f"Tour stop: {name}",
                Kind.TOUR_STOP,
                facility,
                roles=((host, Part.HOST), *party, ("sunny-chai", Part.PARTICIPANT)),
                host=slug,
                description=description,
            )
        )
        stop_start = leave
    items.append(
        ItemSpec(
            stop_start,
            t("12:00"),
            "Media stand-up",
            Kind.REMARKS,
            w.MARS_FORECOURT,
            roles=(("alfred-sit", Part.SPEAKER),),
            cue_notes="Rain plan: stand-up moves to the lobby; no booking needed.",
        )
    )
    return EventSpec(
        reference="DEMO-2022-MARS-INSPECTION",
        title="Secretary for Innovation and Technology visits the MARS Centre",
        kind=Event.Kind.SITE_INSPECTION,
        site=w.TAI_PO,
        start=t("10:00"),
        end=t("12:00"),
        status=Event.Status.COMPLETED,
        visibility=Event.Visibility.PUBLIC,
        host="hkstp",
        description=(
            "The Secretary for Innovation and Technology and the Commissioner for Innovation and "
            "Technology inspect the MARS Centre at Tai Po InnoPark with the Chairman of HKSTP and "
            "visit three enterprises in turn."
        ),
        internal_notes=(
            "From the Government press release of 5 May 2022 (restricted until it was issued). "
            "The release does not name the three enterprises; the demo uses the three MARS "
            "tenants named at the November 2021 ceremony. Times chosen for the demo."
        ),
        items=tuple(items),
        attendees=(
            AttendeeSpec("alfred-sit", Role.GUEST_OF_HONOUR),
            AttendeeSpec("rebecca-pun", Role.GUEST),
            AttendeeSpec("sunny-chai", Role.HOST),
            AttendeeSpec("simon-yeung", Role.HOST),
            AttendeeSpec("edmond-yau", Role.HOST),
            AttendeeSpec("ryan-lee", Role.HOST),
            AttendeeSpec("ada-fung", Role.MEDIA, call_time=t("09:40")),
            AttendeeSpec(
                "kenneth-lau", Role.ESCORT, call_time=t("09:15"), notes="Escorts the Secretary."
            ),
            AttendeeSpec("carmen-ho", Role.STAFF, call_time=t("08:45")),
        ),
    )


def _forum(day: dt.date = FORUM_DAY) -> EventSpec:
    def t(hhmm: str) -> dt.datetime:
        return hk(day, hhmm)

    panel = ("hl-yiu", "simon-yeung", "edmond-yau")
    return EventSpec(
        reference="DEMO-2023-CRAFTING-TOMORROW",
        title="Crafting Tomorrow: A Fresh Look at Advanced Manufacturing in Hong Kong",
        kind=Event.Kind.FORUM,
        site=w.SCIENCE_PARK,
        start=t("14:00"),
        end=t("16:45"),
        status=Event.Status.COMPLETED,
        visibility=Event.Visibility.PUBLIC,
        description=(
            "A forum on advanced manufacturing in Hong Kong: keynote speeches by the Secretary "
            "for Innovation, Technology and Industry and the Chairman of the Federation of Hong "
            "Kong Industries, then a panel on high-tech, customised production."
        ),
        internal_notes=(
            "Keynote speakers from the forum write-up. Its date, venue, organiser, moderator and "
            "panellists are not given; the demo places it after the 2023 Policy Address it cites "
            "and fills the panel with MARS innofacturers."
        ),
        items=(
            ItemSpec(
                t("14:00"),
                t("14:25"),
                "Speakers' pre-meeting",
                Kind.OTHER,
                w.HKSP_BOARDROOM,
                roles=(
                    ("sun-dong", Part.PARTICIPANT),
                    ("steve-chuang", Part.PARTICIPANT),
                    ("albert-wong", Part.PARTICIPANT),
                ),
                visibility=STAFF_ONLY,
            ),
            ItemSpec(
                t("14:30"),
                t("14:50"),
                "Keynote speech: new industrialisation and advanced manufacturing",
                Kind.KEYNOTE,
                w.HKSP_AUDITORIUM,
                roles=(("sun-dong", Part.SPEAKER),),
            ),
            ItemSpec(
                t("14:50"),
                t("15:10"),
                "Keynote speech: Hong Kong industrialists ready for advanced manufacturing",
                Kind.KEYNOTE,
                w.HKSP_AUDITORIUM,
                roles=(("steve-chuang", Part.SPEAKER),),
            ),
            ItemSpec(t("15:10"), t("15:25"), "Tea break", Kind.BREAK, w.HKSP_AUDITORIUM),
            ItemSpec(
                t("15:25"),
                t("16:25"),
                "Panel: high-tech, customised production in Hong Kong",
                Kind.PANEL,
                w.HKSP_AUDITORIUM,
                roles=(("albert-wong", Part.MODERATOR), *((key, Part.PANELLIST) for key in panel)),
            ),
            ItemSpec(
                t("16:25"),
                t("16:35"),
                "Group photo",
                Kind.PHOTO_CALL,
                w.HKSP_AUDITORIUM,
                roles=tuple(
                    (key, Part.PARTICIPANT) for key in ("sun-dong", "steve-chuang", "albert-wong")
                ),
            ),
        ),
        attendees=(
            AttendeeSpec("sun-dong", Role.GUEST_OF_HONOUR),
            AttendeeSpec("steve-chuang", Role.SPEAKER),
            AttendeeSpec("albert-wong", Role.MODERATOR),
            AttendeeSpec("hl-yiu", Role.PANELLIST),
            AttendeeSpec("simon-yeung", Role.PANELLIST),
            AttendeeSpec("edmond-yau", Role.PANELLIST),
            AttendeeSpec("winnie-lai", Role.ESCORT, call_time=t("13:30"), notes="Bureau escort."),
            AttendeeSpec("carmen-ho", Role.STAFF, call_time=t("12:00")),
            AttendeeSpec("joyce-tam", Role.STAFF, call_time=t("13:00")),
        ),
    )


def _hsitp_opening(day: dt.date = HSITP_DAY) -> EventSpec:
    def t(hhmm: str) -> dt.datetime:
        return hk(day, hhmm)

    officiating = (
        ("sun-dong", Part.OFFICIATING),
        ("wong-kam-fai", Part.OFFICIATING),
        ("sunny-chai", Part.OFFICIATING),
    )
    return EventSpec(
        reference="DEMO-2025-HSITP-OPENING",
        title="Opening of the Hong Kong-Shenzhen Innovation and Technology Park",
        title_zh="港深創新及科技園開幕典禮",
        kind=Event.Kind.CEREMONY,
        site=w.HSITP,
        start=t("09:30"),
        end=t("12:00"),
        status=Event.Status.COMPLETED,
        visibility=Event.Visibility.PUBLIC,
        host="itib",
        description=(
            "The Hong Kong-Shenzhen Innovation and Technology Park in the Lok Ma Chau Loop opens: "
            "the park focuses on research and development, with its first three buildings "
            "occupied and tenants such as Hithium Energy Storage setting up R&D."
        ),
        internal_notes=(
            "From the Wen Wei Po report of the opening (December 2025; public reports give "
            "22 December). Times, rooms and the tour stop chosen for the demo."
        ),
        items=(
            ItemSpec(
                t("09:30"),
                t("10:00"),
                "Officiating guests' reception",
                Kind.OTHER,
                w.HSITP_LOUNGE,
                roles=tuple((key, Part.PARTICIPANT) for key, _part in officiating),
                visibility=STAFF_ONLY,
            ),
            ItemSpec(
                t("10:00"),
                t("10:10"),
                "Welcome remarks",
                Kind.REMARKS,
                w.HSITP_HALL,
                roles=(("sunny-chai", Part.SPEAKER),),
            ),
            ItemSpec(
                t("10:10"),
                t("10:25"),
                "Speech by the Secretary for Innovation, Technology and Industry",
                Kind.REMARKS,
                w.HSITP_HALL,
                roles=(("sun-dong", Part.SPEAKER),),
            ),
            ItemSpec(
                t("10:25"),
                t("10:40"),
                "Officiating ceremony",
                Kind.CEREMONY,
                w.HSITP_HALL,
                roles=officiating,
            ),
            ItemSpec(
                t("10:40"),
                t("10:50"),
                "Group photo",
                Kind.PHOTO_CALL,
                w.HSITP_PLAZA,
                roles=tuple((key, Part.PARTICIPANT) for key, _part in officiating),
            ),
            ItemSpec(t("10:50"), t("11:00"), "Transfer to Hithium Energy Storage", Kind.TRANSFER),
            ItemSpec(
                t("11:00"),
                t("11:30"),
                "Tour stop: Hithium Energy Storage R&D laboratory",
                Kind.TOUR_STOP,
                w.HSITP_HITHIUM,
                host="hithium",
                roles=(("sun-dong", Part.PARTICIPANT), ("sunny-chai", Part.PARTICIPANT)),
            ),
            ItemSpec(
                t("11:30"),
                t("11:50"),
                "Media interviews",
                Kind.OTHER,
                w.HSITP_LOUNGE,
                roles=(("sun-dong", Part.SPEAKER), ("wong-kam-fai", Part.SPEAKER)),
            ),
        ),
        attendees=(
            AttendeeSpec("sun-dong", Role.GUEST_OF_HONOUR),
            AttendeeSpec("wong-kam-fai", Role.OFFICIATING_GUEST),
            AttendeeSpec("sunny-chai", Role.HOST),
            AttendeeSpec("jason-ng", Role.MEDIA, call_time=t("09:00")),
            AttendeeSpec("ada-fung", Role.MEDIA, call_time=t("09:00")),
            AttendeeSpec("winnie-lai", Role.ESCORT, call_time=t("09:00"), notes="Bureau escort."),
            AttendeeSpec("carmen-ho", Role.STAFF, call_time=t("07:30")),
            AttendeeSpec("kenneth-lau", Role.STAFF, call_time=t("08:00")),
        ),
    )


SEED_EVENTS: tuple[EventSpec, ...] = (_innopark(), _inspection(), _forum(), _hsitp_opening())
