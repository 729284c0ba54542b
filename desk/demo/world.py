"""The places, organisations and people of the press releases in shared/seeds.

Names, posts and honours are as the releases print them. Where they say nothing (capacities,
buffers, e-mail addresses, staff, visiting delegates) the values are invented for the demo:
every address is on an example domain and every invented person says so in their notes.
"""

from scheduling.models import Facility
from visitors.models import Organisation

from .specs import FacilitySpec, OrganisationSpec, PersonSpec, SiteSpec

TAI_PO = "tai-po-innopark"
TKO = "tseung-kwan-o-innopark"
YUEN_LONG = "yuen-long-innopark"
SCIENCE_PARK = "hong-kong-science-park"
HSITP = "hsitp-lok-ma-chau-loop"

SITES: tuple[SiteSpec, ...] = (
    SiteSpec(
        TAI_PO,
        "Tai Po InnoPark",
        "大埔創新園",
        "Dai Fu Street, Tai Po Industrial Estate, Tai Po, New Territories, Hong Kong",
        5,
    ),
    SiteSpec(
        TKO,
        "Tseung Kwan O InnoPark",
        "將軍澳創新園",
        "Tseung Kwan O Industrial Estate, Tseung Kwan O, New Territories, Hong Kong",
        5,
    ),
    SiteSpec(
        YUEN_LONG,
        "Yuen Long InnoPark",
        "元朗創新園",
        "Yuen Long Industrial Estate, Yuen Long, New Territories, Hong Kong",
        5,
    ),
    SiteSpec(
        SCIENCE_PARK,
        "Hong Kong Science Park",
        "香港科學園",
        "Science Park Road, Pak Shek Kok, Sha Tin, New Territories, Hong Kong",
        10,
    ),
    SiteSpec(
        HSITP,
        "Hong Kong-Shenzhen Innovation and Technology Park",
        "港深創新及科技園",
        "Lok Ma Chau Loop, Yuen Long District, New Territories, Hong Kong",
        8,
    ),
)

# Minutes by road for a VIP car, either way, allowing for ordinary daytime traffic.
TRAVEL_MINUTES: dict[frozenset[str], int] = {
    frozenset({TAI_PO, SCIENCE_PARK}): 15,
    frozenset({TAI_PO, TKO}): 45,
    frozenset({TAI_PO, YUEN_LONG}): 35,
    frozenset({TAI_PO, HSITP}): 35,
    frozenset({SCIENCE_PARK, TKO}): 35,
    frozenset({SCIENCE_PARK, YUEN_LONG}): 35,
    frozenset({SCIENCE_PARK, HSITP}): 35,
    frozenset({TKO, YUEN_LONG}): 55,
    frozenset({TKO, HSITP}): 60,
    frozenset({YUEN_LONG, HSITP}): 25,
}

K = Facility.Kind
DAY = ("07:00", "23:00")  # halls: long set-ups before a morning ceremony
OFFICE = ("08:00", "21:00")
TENANT = ("09:00", "18:00")  # tenants' own working hours for visits

MARS_HALL = "MARS Centre – Multi-function Hall"
MARS_VIP = "MARS Centre – VIP Room"
MARS_FORECOURT = "MARS Centre – Outdoor Forecourt"
MARS_CLEANROOM = "MARS Centre – Production Line 3 (Cleanroom)"
MARS_TIME_MEDICAL = "MARS Centre – Time Medical Systems premises"
MARS_KOLN = "MARS Centre – Koln 3D Technology (Medical) premises"
MARS_SHAN_HO = "MARS Centre – Shan Ho Asia Pacific premises"
AMC_HALL = "Advanced Manufacturing Centre – Conference Hall"
AMC_SHOWCASE = "Advanced Manufacturing Centre – Smart Production Showcase"
DTH_BRIEFING = "Data Technology Hub – Briefing Room"
DTH_GALLERY = "Data Technology Hub – Data Hall Viewing Corridor"
MEC_FUNCTION = "Microelectronics Centre – Function Room"
MEC_GALLERY = "Microelectronics Centre – Pilot Line Viewing Gallery"
MEC_MEETING = "Microelectronics Centre – Meeting Room 1"
HKSP_AUDITORIUM = "Charles K. Kao Auditorium"
HKSP_BOARDROOM = "Science Park Boardroom"
HKSP_PROMENADE = "Science Park Promenade"
HSITP_HALL = "Building 8 – Multi-function Hall"
HSITP_LOUNGE = "Building 8 – VIP Lounge"
HSITP_PLAZA = "Riverside Plaza"
HSITP_HITHIUM = "Hithium Energy Storage – R&D Laboratory"

FACILITIES: tuple[FacilitySpec, ...] = (
    FacilitySpec(TAI_PO, MARS_HALL, K.HALL, 300, 120, 60, DAY),
    FacilitySpec(TAI_PO, MARS_VIP, K.MEETING_ROOM, 20, 30, 15, OFFICE),
    FacilitySpec(
        TAI_PO,
        MARS_FORECOURT,
        K.OUTDOOR,
        400,
        120,
        60,
        ("07:00", "22:00"),
        description="Open forecourt at the main entrance; needs a rain plan.",
    ),
    FacilitySpec(
        TAI_PO,
        MARS_CLEANROOM,
        K.PRODUCTION_LINE,
        8,
        0,
        0,
        None,
        is_bookable=False,
        description="Live cleanroom production: seen from the gowning corridor only, never booked.",
    ),
    FacilitySpec(TAI_PO, MARS_TIME_MEDICAL, K.TENANT_PREMISES, 25, 15, 15, TENANT),
    FacilitySpec(TAI_PO, MARS_KOLN, K.TENANT_PREMISES, 25, 15, 15, TENANT),
    FacilitySpec(TAI_PO, MARS_SHAN_HO, K.TENANT_PREMISES, 25, 15, 15, TENANT),
    FacilitySpec(TKO, AMC_HALL, K.HALL, 250, 90, 45, DAY),
    FacilitySpec(TKO, AMC_SHOWCASE, K.LAB, 40, 15, 15, TENANT),
    FacilitySpec(TKO, DTH_BRIEFING, K.MEETING_ROOM, 40, 30, 15, OFFICE),
    FacilitySpec(TKO, DTH_GALLERY, K.OTHER, 12, 15, 15, ("10:00", "17:00")),
    FacilitySpec(YUEN_LONG, MEC_FUNCTION, K.HALL, 120, 60, 30, ("08:00", "22:00")),
    FacilitySpec(YUEN_LONG, MEC_GALLERY, K.LAB, 20, 15, 15, TENANT),
    FacilitySpec(YUEN_LONG, MEC_MEETING, K.MEETING_ROOM, 16, 15, 15, OFFICE),
    FacilitySpec(SCIENCE_PARK, HKSP_AUDITORIUM, K.HALL, 900, 180, 90, DAY),
    FacilitySpec(SCIENCE_PARK, HKSP_BOARDROOM, K.MEETING_ROOM, 24, 30, 15, OFFICE),
    # Open ground: no bookable hours, anything goes as long as nothing overlaps.
    FacilitySpec(SCIENCE_PARK, HKSP_PROMENADE, K.OUTDOOR, 300, 120, 60, None),
    FacilitySpec(HSITP, HSITP_HALL, K.HALL, 300, 120, 60, DAY),
    FacilitySpec(HSITP, HSITP_LOUNGE, K.MEETING_ROOM, 20, 30, 15, OFFICE),
    FacilitySpec(HSITP, HSITP_PLAZA, K.OUTDOOR, 500, 120, 60, ("07:00", "22:00")),
    FacilitySpec(HSITP, HSITP_HITHIUM, K.TENANT_PREMISES, 20, 15, 15, TENANT),
)

Org = Organisation.Kind
INVENTED = "Invented for the demo data; not a real organisation."

ORGANISATIONS: tuple[OrganisationSpec, ...] = (
    OrganisationSpec(
        "hkstp", "Hong Kong Science and Technology Parks Corporation", "香港科技園公司", Org.PARTNER
    ),
    OrganisationSpec(
        "itb",
        "Innovation and Technology Bureau",
        "創新及科技局",
        Org.GOVERNMENT,
        notes="Re-titled the Innovation, Technology and Industry Bureau on 1 July 2022.",
    ),
    OrganisationSpec(
        "itib", "Innovation, Technology and Industry Bureau", "創新科技及工業局", Org.GOVERNMENT
    ),
    OrganisationSpec("itc", "Innovation and Technology Commission", "創新科技署", Org.GOVERNMENT),
    OrganisationSpec("isd", "Information Services Department", "政府新聞處", Org.GOVERNMENT),
    OrganisationSpec("legco", "Legislative Council", "立法會", Org.OTHER),
    OrganisationSpec("fhki", "Federation of Hong Kong Industries", "香港工業總會", Org.OTHER),
    OrganisationSpec("time-medical", "Time Medical Systems", "", Org.TENANT),
    OrganisationSpec("koln-3d", "Koln 3D Technology (Medical) Limited", "", Org.TENANT),
    OrganisationSpec("shan-ho", "Shan Ho Asia Pacific Limited", "", Org.TENANT),
    OrganisationSpec("hithium", "Hithium Energy Storage", "海辰儲能", Org.TENANT),
    OrganisationSpec("wen-wei-po", "Wen Wei Po", "文匯報", Org.MEDIA),
    OrganisationSpec(
        "northbridge-amn",
        "Northbridge Advanced Manufacturing Network",
        "",
        Org.OTHER,
        notes=INVENTED + " A London-based industry network.",
    ),
    OrganisationSpec(
        "pearl-river-robotics",
        "Pearl River Precision Robotics Co., Ltd.",
        "珠江精密機械人有限公司",
        Org.OTHER,
        notes=INVENTED + " A Shenzhen robotics maker.",
    ),
)

DEMO_PERSON = "Invented for the demo data."

# Precedence: 1 is the most senior. Gaps leave room for people added later. A Secretary
# outranks a Legislative Council member, who outranks a Permanent Secretary, then a
# Commissioner, then the chairs and chief executives of statutory bodies and companies.
PEOPLE: tuple[PersonSpec, ...] = (
    PersonSpec(
        "sun-dong",
        "Prof",
        "Sun Dong",
        "孫東",
        "Secretary for Innovation, Technology and Industry",
        "itib",
        "sun.dong@itib.example.gov.hk",
        precedence_rank=10,
        languages="Putonghua, English",
    ),
    PersonSpec(
        "alfred-sit",
        "Mr",
        "Alfred Sit",
        "薛永恒",
        "Secretary for Innovation and Technology",
        "itb",
        "alfred.sit@itb.example.gov.hk",
        post_nominals="JP",
        precedence_rank=11,
        languages="Cantonese, English",
        notes="Post as printed in the 2021–22 press releases.",
    ),
    PersonSpec(
        "wong-kam-fai",
        "The Hon",
        "Wong Kam-fai",
        "黃錦輝",
        "Member of the Legislative Council",
        "legco",
        "wong.kamfai@legco.example.gov.hk",
        precedence_rank=15,
        languages="Cantonese, English",
    ),
    PersonSpec(
        "annie-choi",
        "Ms",
        "Annie Choi",
        "蔡淑嫻",
        "Permanent Secretary for Innovation and Technology",
        "itb",
        "annie.choi@itb.example.gov.hk",
        post_nominals="JP",
        precedence_rank=20,
        languages="Cantonese, English",
    ),
    PersonSpec(
        "rebecca-pun",
        "Ms",
        "Rebecca Pun",
        "潘婷婷",
        "Commissioner for Innovation and Technology",
        "itc",
        "rebecca.pun@itc.example.gov.hk",
        post_nominals="JP",
        precedence_rank=30,
        languages="Cantonese, English",
    ),
    PersonSpec(
        "sunny-chai",
        "Dr",
        "Sunny Chai",
        "查毅超",
        "Chairman, HKSTP",
        "hkstp",
        "sunny.chai@hkstp.example.org",
        post_nominals="BBS, JP",
        precedence_rank=40,
        languages="Cantonese, English",
    ),
    PersonSpec(
        "steve-chuang",
        "Mr",
        "Steve Chuang",
        "莊子雄",
        "Chairman, Federation of Hong Kong Industries",
        "fhki",
        "steve.chuang@fhki.example.org",
        precedence_rank=45,
        languages="Cantonese, English",
    ),
    PersonSpec(
        "albert-wong",
        "Mr",
        "Albert Wong",
        "黃克強",
        "Chief Executive Officer, HKSTP",
        "hkstp",
        "albert.wong@hkstp.example.org",
        precedence_rank=50,
        languages="Cantonese, English",
    ),
    PersonSpec(
        "eleanor-hughes",
        "Dr",
        "Eleanor Hughes",
        "",
        "Director of International Partnerships",
        "northbridge-amn",
        "eleanor.hughes@northbridge.example.org",
        precedence_rank=55,
        languages="English",
        dietary="Vegetarian",
        accessibility="Step-free route please (uses a cane)",
        notes=DEMO_PERSON + " Lives in London (Europe/London): send times in her zone too.",
    ),
    PersonSpec(
        "zhou-haoran",
        "Mr",
        "Zhou Haoran",
        "周浩然",
        "Chairman",
        "pearl-river-robotics",
        "zhou.haoran@pearlriver.example.org",
        precedence_rank=55,
        languages="Putonghua",
        interpreter_needed=True,
        dietary="No seafood (allergy)",
        notes=DEMO_PERSON + " Needs a Putonghua–English interpreter for English-only sessions.",
    ),
    PersonSpec(
        "hl-yiu",
        "Dr",
        "H.L. Yiu",
        "",
        "Head of Re-industrialisation, HKSTP",
        "hkstp",
        "hl.yiu@hkstp.example.org",
        precedence_rank=60,
        languages="Cantonese, English",
    ),
    PersonSpec(
        "simon-yeung",
        "Mr",
        "Simon Yeung",
        "",
        "Chief Operating Officer, Time Medical Systems",
        "time-medical",
        "simon.yeung@timemedical.example.org",
        precedence_rank=70,
    ),
    PersonSpec(
        "edmond-yau",
        "Mr",
        "Edmond Yau",
        "",
        "Founder & Chief Executive Officer, Koln 3D Technology (Medical) Limited",
        "koln-3d",
        "edmond.yau@koln3d.example.org",
        precedence_rank=70,
    ),
    PersonSpec(
        "ryan-lee",
        "Mr",
        "Ryan Lee",
        "",
        "Chief Executive Officer, Shan Ho Asia Pacific Limited",
        "shan-ho",
        "ryan.lee@shanho.example.org",
        precedence_rank=70,
    ),
    # Staff, escorts and media: unranked, so they follow every ranked guest.
    PersonSpec(
        "carmen-ho",
        "Ms",
        "Carmen Ho",
        "何嘉雯",
        "Protocol Manager, HKSTP",
        "hkstp",
        "carmen.ho@hkstp.example.org",
        phone="+852 5550 0101",
        languages="Cantonese, English",
        notes=DEMO_PERSON,
    ),
    PersonSpec(
        "kenneth-lau",
        "Mr",
        "Kenneth Lau",
        "劉家俊",
        "Protocol Officer, HKSTP",
        "hkstp",
        "kenneth.lau@hkstp.example.org",
        phone="+852 5550 0102",
        languages="Cantonese, English, Putonghua",
        notes=DEMO_PERSON,
    ),
    PersonSpec(
        "joyce-tam",
        "Ms",
        "Joyce Tam",
        "譚穎欣",
        "Senior Manager, Corporate Communications, HKSTP",
        "hkstp",
        "joyce.tam@hkstp.example.org",
        phone="+852 5550 0103",
        notes=DEMO_PERSON,
    ),
    PersonSpec(
        "winnie-lai",
        "Ms",
        "Winnie Lai",
        "黎詠怡",
        "Executive Officer (Protocol)",
        "itib",
        "winnie.lai@itib.example.gov.hk",
        phone="+852 5550 0201",
        notes=DEMO_PERSON,
    ),
    PersonSpec(
        "jason-ng",
        "Mr",
        "Jason Ng",
        "吳俊傑",
        "Reporter",
        "wen-wei-po",
        "jason.ng@wwp.example.org",
        notes=DEMO_PERSON,
    ),
    PersonSpec(
        "ada-fung",
        "Ms",
        "Ada Fung",
        "馮雅詩",
        "Photographer",
        "isd",
        "ada.fung@isd.example.gov.hk",
        notes=DEMO_PERSON,
    ),
)
