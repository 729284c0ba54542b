"""How a person's name is written in each language, and the orders a list can be sorted in.

English: "Dr Sunny Chai, BBS, JP" (honorific, name, post-nominals). Chinese, as Hong Kong writes
it: the name, its honorific after it, then the honours in words, "陳細潤博士，銅紫荊星章，太平紳士".
A person known by one name only is written in it, whatever the language.

Lists are in the order of precedence (visitors.precedence); where the office needs it they can
be sorted by English surname or by the stroke count of the Chinese name (筆劃), the order Hong
Kong uses for lists of equals.
"""

from django.utils.translation import get_language
from strokes import strokes

# Honorifics written before an English name, and after a Chinese one.
CHINESE_HONORIFICS = {
    "mr": "先生",
    "ms": "女士",
    "mrs": "女士",
    "miss": "女士",
    "madam": "女士",
    "dr": "博士",
    "prof": "教授",
    "professor": "教授",
    "ir": "工程師",
    "sr": "測量師",
    "the hon": "議員",
    "hon": "議員",
    "sir": "爵士",
}
# Hong Kong honours and titles written in words in Chinese; others keep their letters.
CHINESE_POST_NOMINALS = {
    "GBM": "大紫荊勳賢",
    "GBS": "金紫荊星章",
    "SBS": "銀紫荊星章",
    "BBS": "銅紫荊星章",
    "MH": "榮譽勳章",
    "JP": "太平紳士",
    "SC": "資深大律師",
}
SORTS = ("precedence", "surname", "strokes")


def chinese_name(person) -> str:
    """'陳細潤博士，銅紫荊星章，太平紳士', or "" for someone without a Chinese name."""
    if not person.name_zh:
        return ""
    honorific = CHINESE_HONORIFICS.get(person.honorific.strip().rstrip(".").lower(), "")
    honours = [
        CHINESE_POST_NOMINALS.get(letters.strip().rstrip("."), letters.strip())
        for letters in person.post_nominals.replace("，", ",").split(",")
        if letters.strip()
    ]
    return "，".join([person.name_zh + honorific, *honours])


def customary_name(person, language: str | None = None) -> str:
    """The name as the language (the active one unless given) writes it."""
    if (language or get_language() or "").startswith("zh") and person.name_zh:
        return chinese_name(person)
    return person.english_name or chinese_name(person)


def surname(person) -> str:
    """The English surname, for sorting: the first word of a Hong Kong name written surname
    first with a hyphenated given name ("Chan Tai-man"), else the last word ("Alfred Sit")."""
    words = person.name.split()
    if not words:
        return ""
    if len(words) > 1 and "-" in words[-1]:
        return words[0]
    return words[-1]


def surname_key(person) -> tuple:
    """English surname, then the rest of the name; people with a Chinese name only come last."""
    return (not person.name, surname(person).casefold(), person.name.casefold(), person.pk)


def strokes_key(person) -> tuple:
    """The Chinese name's characters by their stroke counts, one after the other (the
    surname's first), then the characters themselves; people without one come last."""
    counts = [strokes(character) for character in person.name_zh]
    return (not person.name_zh, counts, person.name_zh, person.pk)


def sorted_attendances(attendances: list, sort: str) -> list:
    """The attendances as listed (in precedence order), or sorted by surname or strokes."""
    if sort == "surname":
        return sorted(attendances, key=lambda attendance: surname_key(attendance.person))
    if sort == "strokes":
        return sorted(attendances, key=lambda attendance: strokes_key(attendance.person))
    return list(attendances)
