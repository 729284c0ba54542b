"""Every template is ready for a Traditional Chinese translation: it loads i18n and shows no
text a translator cannot reach.

A pragmatic check, not a parser: strip what is not shown or is already translated (comments,
template tags and variables, translate/blocktranslate blocks, <script> and <style>, markup and
entities) and look for words that remain. Text in the attributes people read (aria-label, title,
alt, placeholder) counts as shown.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import get_template

TEMPLATES = Path(settings.BASE_DIR) / "templates"
TEMPLATE_FILES = sorted(
    path for path in TEMPLATES.rglob("*") if path.is_file() and path.suffix in {".html", ".txt"}
)
# Attributes whose values are read by people (on screen or by a screen reader).
SHOWN_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")

HIDDEN = [
    re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S),
    re.compile(r"\{#.*?#\}"),  # one line only, as in Django: a longer one is shown as text
    re.compile(r"<!--.*?-->", re.S),
    # Translated already: the whole block, its words included.
    re.compile(r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S),
    re.compile(r"\{%.*?%\}", re.S),
    re.compile(r"\{\{.*?\}\}", re.S),
    re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I),
]
ATTRIBUTE = re.compile(
    r"\s(?:" + "|".join(SHOWN_ATTRIBUTES) + r")\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.I
)
TAG = re.compile(r"<[^>]*>", re.S)
ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+);", re.I)
WORD = re.compile(r"[^\W\d_]+")  # letters, in any script
USES_TRANSLATION = re.compile(r"\{%\s*(?:translate|trans|blocktranslate|blocktrans)\b")
LOADS_I18N = re.compile(r"\{%\s*load\s+(?:[\w.]+\s+)*i18n\b")


def bare_words(source: str) -> list[str]:
    """The words a template would show that no translation tag covers."""
    for pattern in HIDDEN:
        source = pattern.sub(" ", source)
    shown = [value for pair in ATTRIBUTE.findall(source) for value in pair]
    text = " ".join([TAG.sub(" ", source), *shown])
    return WORD.findall(ENTITY.sub(" ", text))


def _name(path: Path) -> str:
    return path.relative_to(TEMPLATES).as_posix()


def test_template_walk_finds_every_kind_of_template():
    names = {_name(path) for path in TEMPLATE_FILES}

    assert {
        "admin/scheduling/event/change_form.html",
        "staff/planner.html",
        "visitors/rsvp.html",
        "visitors/email/invite.txt",
    } <= names


def test_bare_words_finds_text_outside_translation_tags():
    source = (
        '{% load i18n %}<li><a href="{% url "x" %}?a=1&amp;b=2">Book a facility</a></li>'
        '<nav aria-label="Staff pages"></nav>'
        "{# a comment #}<p>{% translate 'Kept' %} {{ event.title }} 孫東</p>"
        "{% blocktranslate with n=1 %}{{ n }} people{% endblocktranslate %}"
        "<style>body { color: red; }</style><script>let ok = 1;</script>"
        "{# Django shows a comment\n that runs over two lines #}"
    )

    words = bare_words(source)

    assert " ".join(words) == (
        "Book a facility 孫東 Django shows a comment that runs over two lines Staff pages"
    )


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=_name)
def test_template_shows_only_translatable_text(path):
    source = path.read_text(encoding="utf-8")

    words = bare_words(source)

    assert words == [], f"{_name(path)} shows text outside translation tags: {words}"
    if USES_TRANSLATION.search(source):
        assert LOADS_I18N.search(source), f"{_name(path)} translates without {{% load i18n %}}"


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=_name)
def test_template_compiles(path):
    template = get_template(_name(path))

    assert template.origin.name == str(path)
