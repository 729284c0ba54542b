"""The events of the current week and the next: the shapes of the seed events, at the parks.

A minister's inspection with three tenant stops (as at the MARS Centre in 2022), an activation
ceremony with remarks, an announcement and fireside chats (INNOPARK, 2021), a forum with two
keynotes and a panel (Crafting Tomorrow, 2023) and openings (the HSITP, 2025), with the smaller
briefings and press events that fill a protocol office's week. The minister's inspection has
his party (a delegation) in two cars with their permits, linked to its arrival and departure.
When each happens is set by ``showcase.SHOWCASE``; people, organisations and facilities are the
keys of ``world``.
"""

from scheduling.models import Event, ProgrammeItem, ProgrammeRole
from visitors.models import Attendance, Pass

from . import world as w
from .specs import DelegationSpec, EventTemplate, PassSpec, VehicleSpec
from .specs import ItemTemplate as I  # noqa: N817 - one letter keeps the programmes readable

Kind, Part, Role, Status = ProgrammeItem.Kind, ProgrammeRole.Part, Attendance.Role, Event.Status
STAFF_ONLY = ProgrammeItem.Visibility.INTERNAL
PUBLIC, PARTNERS = Event.Visibility.PUBLIC, Event.Visibility.PARTNERS

# The Secretary's cars drop off and pick up at these two items (VehicleSpec names them).
ARRIVE_MARS, LEAVE_MARS = "Arrival at the MARS Centre", "Departure from the MARS Centre"

MINISTER_INSPECTS_MARS = EventTemplate(
    "Secretary for Innovation, Technology and Industry inspects MARS Centre tenants",
    Event.Kind.MINISTERIAL_VISIT,
    w.TAI_PO,
    Status.TENTATIVE,
    Event.Visibility.RESTRICTED,
    description="Three tenants show their production lines, as on the 2022 inspection.",
    internal_notes="Unannounced until the Bureau's press release; no media on the stops.",
    items=(
        I(0, 5, ARRIVE_MARS, Kind.ARRIVAL, w.MARS_VIP,
          cue_notes="The Chairman receives the Secretary as car 1 pulls up."),
        I(5, 15, "Briefing by HKSTP", Kind.REMARKS, w.MARS_VIP, (("sunny-chai", Part.SPEAKER),)),
        I(20, 10, "Transfer to Time Medical Systems", Kind.TRANSFER),
        I(30, 25, "Tour stop: Time Medical Systems", Kind.TOUR_STOP, w.MARS_TIME_MEDICAL,
          (("simon-yeung", Part.HOST),), host="time-medical"),
        I(55, 5, "Transfer to Koln 3D", Kind.TRANSFER),
        I(60, 25, "Tour stop: Koln 3D Technology (Medical)", Kind.TOUR_STOP, w.MARS_KOLN,
          (("edmond-yau", Part.HOST),), host="koln-3d"),
        I(85, 5, "Transfer to Shan Ho Asia Pacific", Kind.TRANSFER),
        I(90, 25, "Tour stop: Shan Ho Asia Pacific", Kind.TOUR_STOP, w.MARS_SHAN_HO,
          (("ryan-lee", Part.HOST),), host="shan-ho"),
        I(115, 5, "Return to the VIP Room", Kind.TRANSFER),
        I(120, 10, "Closing remarks", Kind.REMARKS, w.MARS_VIP, (("sun-dong", Part.SPEAKER),)),
        I(130, 5, LEAVE_MARS, Kind.DEPARTURE, w.MARS_VIP,
          cue_notes="Cars 1 and 2 are called at the start of the closing remarks."),
    ),
    attendees=(
        ("sun-dong", Role.GUEST_OF_HONOUR),
        ("rebecca-pun", Role.GUEST),
        ("sunny-chai", Role.HOST),
        ("simon-yeung", Role.HOST),
        ("edmond-yau", Role.HOST),
        ("ryan-lee", Role.HOST),
        ("winnie-lai", Role.ESCORT),
        ("carmen-ho", Role.STAFF),
    ),
    delegations=(
        DelegationSpec(
            "Secretary for Innovation, Technology and Industry and party",
            "創新科技及工業局局長一行",
            lead="sun-dong",
            vehicles=(
                VehicleSpec(
                    "AM 1", "Toyota Alphard", "black", "Mr Chan Tai-man", "9123 4567",
                    ("sun-dong", "winnie-lai"),
                    contact="Ms Winnie Lai (escort), +852 5550 0201",
                    car_call=120, drop_off=w.MARS_VIP, pick_up=w.MARS_VIP,
                    arrival=ARRIVE_MARS, departure=LEAVE_MARS,
                ),
                VehicleSpec(
                    "AM 2388", "Toyota Noah", "silver", "Mr Lee Ka-ho", "6234 5178",
                    ("rebecca-pun",),
                    car_call=120, drop_off=w.MARS_VIP, pick_up=w.MARS_VIP,
                    arrival=ARRIVE_MARS, departure=LEAVE_MARS,
                ),
            ),
            passes=(
                PassSpec(Pass.Kind.VEHICLE, "VP-0311", Pass.Status.ISSUED, plate="AM 1"),
                PassSpec(Pass.Kind.VEHICLE, "VP-0312", Pass.Status.ISSUED, plate="AM 2388"),
                PassSpec(Pass.Kind.CLEANROOM, "CR-0027", Pass.Status.ISSUED, person="sun-dong",
                         notes="Gowning corridor of Production Line 3, if time allows."),
            ),
        ),
    ),
)  # fmt: skip

INNOCELL_ACTIVATION = EventTemplate(
    "InnoCell Phase 2 activation ceremony",
    Event.Kind.CEREMONY,
    w.SCIENCE_PARK,
    Status.TENTATIVE,
    PUBLIC,
    items=(
        I(0, 30, "VIP reception", Kind.OTHER, w.HKSP_BOARDROOM, visibility=STAFF_ONLY),
        I(30, 10, "VIPs walk to the Promenade", Kind.TRANSFER, visibility=STAFF_ONLY),
        I(40, 10, "Welcome remarks", Kind.REMARKS, w.HKSP_PROMENADE,
          (("sunny-chai", Part.SPEAKER),)),
        I(50, 10, "Announcement of the InnoCell Phase 2 residents' programme", Kind.REMARKS,
          w.HKSP_PROMENADE, (("albert-wong", Part.SPEAKER),)),
        I(60, 15, "Activation ceremony and group photo", Kind.CEREMONY, w.HKSP_PROMENADE,
          (("alfred-sit", Part.OFFICIATING), ("sunny-chai", Part.OFFICIATING))),
        I(75, 30, "Fireside chat: living where you build", Kind.FIRESIDE_CHAT, w.HKSP_PROMENADE,
          (("hl-yiu", Part.MODERATOR), ("ryan-lee", Part.SPEAKER))),
        I(105, 30, "Fireside chat: the next generation of founders", Kind.FIRESIDE_CHAT,
          w.HKSP_PROMENADE, (("albert-wong", Part.MODERATOR), ("edmond-yau", Part.SPEAKER))),
    ),
    attendees=(
        ("alfred-sit", Role.OFFICIATING_GUEST),
        ("sunny-chai", Role.HOST),
        ("albert-wong", Role.SPEAKER),
        ("hl-yiu", Role.MODERATOR),
        ("ryan-lee", Role.SPEAKER),
        ("edmond-yau", Role.SPEAKER),
        ("jason-ng", Role.MEDIA),
        ("joyce-tam", Role.STAFF),
    ),
)  # fmt: skip

FORUM_AI_FACTORY = EventTemplate(
    "Crafting Tomorrow II: AI on the factory floor",
    Event.Kind.FORUM,
    w.SCIENCE_PARK,
    Status.CONFIRMED,
    PUBLIC,
    items=(
        I(0, 10, "Welcome remarks", Kind.REMARKS, w.HKSP_AUDITORIUM,
          (("albert-wong", Part.SPEAKER),)),
        I(10, 25, "Keynote: policy for new industrialisation", Kind.KEYNOTE, w.HKSP_AUDITORIUM,
          (("sun-dong", Part.SPEAKER),)),
        I(35, 25, "Keynote: what manufacturers need from AI", Kind.KEYNOTE, w.HKSP_AUDITORIUM,
          (("steve-chuang", Part.SPEAKER),)),
        I(60, 50, "Panel: from pilot line to production", Kind.PANEL, w.HKSP_AUDITORIUM,
          (("hl-yiu", Part.MODERATOR), ("simon-yeung", Part.PANELLIST),
           ("edmond-yau", Part.PANELLIST), ("zhou-haoran", Part.PANELLIST))),
        I(110, 30, "Networking", Kind.BREAK, w.HKSP_AUDITORIUM),
    ),
    attendees=(
        ("sun-dong", Role.GUEST_OF_HONOUR),
        ("steve-chuang", Role.SPEAKER),
        ("albert-wong", Role.HOST),
        ("hl-yiu", Role.MODERATOR),
        ("simon-yeung", Role.PANELLIST),
        ("edmond-yau", Role.PANELLIST),
        ("zhou-haoran", Role.PANELLIST),
        ("jason-ng", Role.MEDIA),
        ("kenneth-lau", Role.STAFF),
        ("carmen-ho", Role.STAFF),
    ),
)  # fmt: skip

PILOT_LINE_OPENING = EventTemplate(
    "Opening of the Microelectronics Centre's second pilot line",
    Event.Kind.CEREMONY,
    w.YUEN_LONG,
    Status.CONFIRMED,
    PUBLIC,
    items=(
        I(0, 15, "Welcome remarks", Kind.REMARKS, w.MEC_FUNCTION, (("sunny-chai", Part.SPEAKER),)),
        I(15, 15, "Opening ceremony", Kind.CEREMONY, w.MEC_FUNCTION,
          (("annie-choi", Part.OFFICIATING), ("sunny-chai", Part.OFFICIATING))),
        I(30, 5, "Walk to the pilot line", Kind.TRANSFER),
        I(35, 30, "Tour stop: pilot line viewing gallery", Kind.TOUR_STOP, w.MEC_GALLERY,
          (("hl-yiu", Part.HOST),)),
    ),
    attendees=(
        ("annie-choi", Role.OFFICIATING_GUEST),
        ("sunny-chai", Role.HOST),
        ("hl-yiu", Role.HOST),
        ("steve-chuang", Role.GUEST),
        ("jason-ng", Role.MEDIA),
        ("kenneth-lau", Role.STAFF),
    ),
)  # fmt: skip

UNIVERSITY_BRIEFING = EventTemplate(
    "Science Park briefing for a Greater Bay Area university delegation",
    Event.Kind.SITE_INSPECTION,
    w.SCIENCE_PARK,
    Status.CONFIRMED,
    PARTNERS,
    items=(
        I(0, 30, "Welcome and briefing", Kind.REMARKS, w.HKSP_BOARDROOM,
          (("hl-yiu", Part.SPEAKER),)),
        I(30, 45, "Start-up pitches", Kind.OTHER, w.HKSP_BOARDROOM,
          (("ryan-lee", Part.SPEAKER), ("edmond-yau", Part.SPEAKER))),
    ),
    attendees=(
        ("zhou-haoran", Role.GUEST_OF_HONOUR),
        ("hl-yiu", Role.HOST),
        ("ryan-lee", Role.SPEAKER),
        ("edmond-yau", Role.SPEAKER),
        ("joyce-tam", Role.STAFF),
    ),
)  # fmt: skip

FOUNDERS_FIRESIDE = EventTemplate(
    "Fireside chat: founders who grew up in the Science Park",
    Event.Kind.FIRESIDE_CHAT,
    w.SCIENCE_PARK,
    Status.CONFIRMED,
    PUBLIC,
    items=(
        I(0, 10, "Opening remarks", Kind.REMARKS, w.HKSP_BOARDROOM,
          (("albert-wong", Part.SPEAKER),)),
        I(10, 45, "Fireside chat", Kind.FIRESIDE_CHAT, w.HKSP_BOARDROOM,
          (("albert-wong", Part.MODERATOR), ("simon-yeung", Part.SPEAKER))),
    ),
    attendees=(
        ("albert-wong", Role.HOST),
        ("simon-yeung", Role.SPEAKER),
        ("jason-ng", Role.MEDIA),
        ("carmen-ho", Role.STAFF),
    ),
)  # fmt: skip

INNOVATION_WEEK_PRESS = EventTemplate(
    "Press conference: Science Park Innovation Week",
    Event.Kind.PRESS_CONFERENCE,
    w.SCIENCE_PARK,
    Status.CONFIRMED,
    PUBLIC,
    items=(
        I(0, 40, "Press conference", Kind.REMARKS, w.HKSP_BOARDROOM,
          (("albert-wong", Part.SPEAKER), ("hl-yiu", Part.SPEAKER))),
        I(40, 15, "Photo call", Kind.PHOTO_CALL, w.HKSP_BOARDROOM),
    ),
    attendees=(
        ("albert-wong", Role.SPEAKER),
        ("hl-yiu", Role.SPEAKER),
        ("jason-ng", Role.MEDIA),
        ("joyce-tam", Role.STAFF),
    ),
)  # fmt: skip

INNOVATION_WEEK_OPENING = EventTemplate(
    "Opening of Science Park Innovation Week",
    Event.Kind.CEREMONY,
    w.SCIENCE_PARK,
    Status.CONFIRMED,
    PUBLIC,
    items=(
        I(0, 10, "Welcome remarks", Kind.REMARKS, w.HKSP_AUDITORIUM,
          (("sunny-chai", Part.SPEAKER),)),
        I(10, 15, "Opening ceremony", Kind.CEREMONY, w.HKSP_AUDITORIUM,
          (("sun-dong", Part.OFFICIATING), ("sunny-chai", Part.OFFICIATING))),
        I(25, 25, "Keynote: ten years of I&T in Hong Kong", Kind.KEYNOTE, w.HKSP_AUDITORIUM,
          (("sun-dong", Part.SPEAKER),)),
        I(50, 15, "Group photo", Kind.PHOTO_CALL, w.HKSP_AUDITORIUM),
    ),
    attendees=(
        ("sun-dong", Role.OFFICIATING_GUEST),
        ("rebecca-pun", Role.GUEST),
        ("sunny-chai", Role.HOST),
        ("albert-wong", Role.HOST),
        ("jason-ng", Role.MEDIA),
        ("kenneth-lau", Role.STAFF),
        ("carmen-ho", Role.STAFF),
    ),
)  # fmt: skip

LEGCO_VISIT = EventTemplate(
    "Legislative Council panel visits the Science Park",
    Event.Kind.SITE_INSPECTION,
    w.SCIENCE_PARK,
    Status.TENTATIVE,
    PARTNERS,
    items=(
        I(0, 30, "Briefing by HKSTP", Kind.REMARKS, w.HKSP_BOARDROOM,
          (("albert-wong", Part.SPEAKER),)),
        I(30, 10, "Walk to the Promenade", Kind.TRANSFER),
        I(40, 30, "Tour stop: Science Park Promenade", Kind.TOUR_STOP, w.HKSP_PROMENADE,
          (("hl-yiu", Part.HOST),)),
    ),
    attendees=(
        ("wong-kam-fai", Role.GUEST_OF_HONOUR),
        ("albert-wong", Role.HOST),
        ("hl-yiu", Role.HOST),
        ("winnie-lai", Role.ESCORT),
        ("joyce-tam", Role.STAFF),
    ),
)  # fmt: skip

HSITP_TENANTS_FORUM = EventTemplate(
    "Building 8 tenants' forum",
    Event.Kind.FORUM,
    w.HSITP,
    Status.TENTATIVE,
    PARTNERS,
    items=(
        I(0, 25, "Keynote: research across the boundary", Kind.KEYNOTE, w.HSITP_HALL,
          (("sunny-chai", Part.SPEAKER),)),
        I(25, 45, "Panel: the first year in the Loop", Kind.PANEL, w.HSITP_HALL,
          (("hl-yiu", Part.MODERATOR), ("zhou-haoran", Part.PANELLIST),
           ("ryan-lee", Part.PANELLIST))),
    ),
    attendees=(
        ("sunny-chai", Role.SPEAKER),
        ("hl-yiu", Role.MODERATOR),
        ("zhou-haoran", Role.PANELLIST),
        ("ryan-lee", Role.PANELLIST),
        ("kenneth-lau", Role.STAFF),
    ),
)  # fmt: skip

PROMENADE_UNVEILING = EventTemplate(
    "Unveiling of the Promenade's public art commission",
    Event.Kind.CEREMONY,
    w.SCIENCE_PARK,
    Status.TENTATIVE,
    PUBLIC,
    items=(
        I(0, 10, "Welcome remarks", Kind.REMARKS, w.HKSP_PROMENADE,
          (("albert-wong", Part.SPEAKER),)),
        I(10, 15, "Unveiling ceremony", Kind.CEREMONY, w.HKSP_PROMENADE,
          (("rebecca-pun", Part.OFFICIATING), ("albert-wong", Part.OFFICIATING))),
        I(25, 20, "Photo call", Kind.PHOTO_CALL, w.HKSP_PROMENADE),
    ),
    attendees=(
        ("rebecca-pun", Role.OFFICIATING_GUEST),
        ("albert-wong", Role.HOST),
        ("jason-ng", Role.MEDIA),
        ("joyce-tam", Role.STAFF),
    ),
)  # fmt: skip

DATA_HUB_BRIEFING = EventTemplate(
    "Data Technology Hub briefing for the Innovation and Technology Commission",
    Event.Kind.SITE_INSPECTION,
    w.TKO,
    Status.CONFIRMED,
    PARTNERS,
    items=(
        I(0, 30, "Briefing on the data centre's capacity", Kind.REMARKS, w.DTH_BRIEFING,
          (("hl-yiu", Part.SPEAKER),)),
        I(30, 5, "Walk to the viewing corridor", Kind.TRANSFER),
        I(35, 20, "Tour stop: data hall viewing corridor", Kind.TOUR_STOP, w.DTH_GALLERY,
          (("hl-yiu", Part.HOST),)),
    ),
    attendees=(
        ("rebecca-pun", Role.GUEST_OF_HONOUR),
        ("hl-yiu", Role.HOST),
        ("kenneth-lau", Role.ESCORT),
    ),
)  # fmt: skip
