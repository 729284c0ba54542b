"""Every user-visible string in the Python code is ready for a translation.

Two checks, each pragmatic rather than complete:

- the models' labels: the verbose names of every model and field, help texts and choices labels
  are lazy translations (a field without an explicit verbose_name gets a plain str that Django
  derives from its attribute name, which makemessages cannot see);
- an AST walk over the code for the messages people read: a ValidationError, a message sent with
  django.contrib.messages or the admin's message_user, and an event warning must not be given a
  plain string literal or an f-string (an f-string cannot be translated at all: its words are
  joined before gettext could see them).
"""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.utils.functional import Promise

APPS = ("core", "scheduling", "visitors", "api", "desk")
BASE = Path(settings.BASE_DIR)

# Labels left plain on purpose, each with its reason.
PLAIN_LABELS = {
    # Each language is named in its own words (English, 繁體中文), as Django's own LANGUAGES do.
    ("core.languagepreference", "language", "choices"),
    ("visitors.person", "language", "choices"),
}


def _models():
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            # django-simple-history builds its Historical* models from ours: their labels
            # follow from the ones checked here.
            if model.__module__ == "simple_history.models" or model.__name__.startswith(
                "Historical"
            ):
                continue
            yield model


MODELS = sorted(_models(), key=lambda model: model._meta.label_lower)


def _flat_choices(choices):
    for value, label in choices:
        if isinstance(label, list | tuple):  # a named group
            yield from _flat_choices(label)
        else:
            yield value, label


def _unmarked_labels(model) -> list[str]:
    name = model._meta.label_lower
    found = []
    for attribute in ("verbose_name", "verbose_name_plural"):
        # Django fills in a missing verbose_name_plural with format_lazy("{}s", ...): lazy, but
        # made of a word and an "s", which no translator can reach.
        value = model._meta.original_attrs.get(attribute)
        if not isinstance(value, Promise):
            found.append(f"{name}: Meta.{attribute} = {value!r}")
    for field in model._meta.concrete_fields:
        if field.auto_created:
            continue
        labels = {"verbose_name": field.verbose_name}
        if field.help_text:
            labels["help_text"] = field.help_text
        for kind, label in labels.items():
            if (name, field.name, kind) not in PLAIN_LABELS and not isinstance(label, Promise):
                found.append(f"{name}.{field.name}: {kind} = {label!r}")
        if field.choices and (name, field.name, "choices") not in PLAIN_LABELS:
            found.extend(
                f"{name}.{field.name}: choice {value!r} = {label!r}"
                for value, label in _flat_choices(field.choices)
                if not isinstance(label, Promise)
            )
    return found


def test_model_walk_finds_every_app():
    labels = {model._meta.label for model in MODELS}

    assert {
        "core.LanguagePreference",
        "scheduling.Event",
        "scheduling.Booking",
        "visitors.Person",
        "visitors.Delivery",
        "api.ApiKey",
        "api.WebhookDelivery",
    } <= labels
    assert not any(label.split(".")[1].startswith("Historical") for label in labels)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_model_labels_are_translated(model):
    assert _unmarked_labels(model) == []


def test_unmarked_labels_finds_a_plain_verbose_name():
    from scheduling.models import Event

    field = Event._meta.get_field("title")
    translated = field.verbose_name
    field.verbose_name = "title"
    try:
        found = _unmarked_labels(Event)
    finally:
        field.verbose_name = translated

    assert "scheduling.event.title: verbose_name = 'title'" in found


# --- Messages in the code ---------------------------------------------------------------------

VALIDATION_ERRORS = {"ValidationError"}
MESSAGE_LEVELS = {"success", "error", "warning", "info", "debug", "add_message"}


def _python_files() -> list[Path]:
    files = []
    for app in APPS:
        for path in sorted((BASE / app).rglob("*.py")):
            parts = path.relative_to(BASE).parts
            if "migrations" in parts or "tests" in parts or "management" in parts:
                continue
            files.append(path)
    return files


def _plain(node: ast.AST) -> bool:
    """Whether a message is written out in the code, out of gettext's reach: a literal with a
    letter in it, an f-string, or a literal formatted or added to ("..." % x, "..." + x)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(char.isalpha() for char in node.value)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return _plain(node.left) or (isinstance(node.op, ast.Add) and _plain(node.right))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        return _plain(node.func.value)
    return False


def _plain_parts(node: ast.AST) -> list[ast.AST]:
    """The plain messages in an error's message argument: itself, a dict's values or a list's
    items, however nested."""
    if isinstance(node, ast.Dict):
        return [part for value in node.values for part in _plain_parts(value)]
    if isinstance(node, ast.List | ast.Tuple):
        return [part for item in node.elts for part in _plain_parts(item)]
    return [node] if _plain(node) else []


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _argument(call: ast.Call, position: int, keyword: str) -> ast.AST | None:
    for given in call.keywords:
        if given.arg == keyword:
            return given.value
    return call.args[position] if len(call.args) > position else None


def message_helpers(source: str) -> dict[str, tuple[int, str]]:
    """Functions that build a ValidationError from one of their parameters, such as
    ``invalid(field, message, code)``: their name, with the parameter's position and name."""
    helpers = {}
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        parameters = [argument.arg for argument in function.args.args]
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and _name(node.func) in VALIDATION_ERRORS:
                message = _argument(node, 0, "message")
                if isinstance(message, ast.Name) and message.id in parameters:
                    helpers[function.name] = (parameters.index(message.id), message.id)
    return helpers


def _message_argument(
    call: ast.Call, helpers: dict[str, tuple[int, str]]
) -> tuple[str, ast.AST | None] | None:
    """What kind of message call this is and its message argument, or None for another call."""
    name = _name(call.func)
    owner = call.func.value if isinstance(call.func, ast.Attribute) else None
    if name in VALIDATION_ERRORS:
        return "ValidationError", _argument(call, 0, "message")
    if name in helpers:
        return name, _argument(call, *helpers[name])
    if name == "EventWarning":
        return "EventWarning", _argument(call, 1, "message")
    if name == "message_user":
        return "message_user", _argument(call, 1, "message")
    if name in MESSAGE_LEVELS and isinstance(owner, ast.Name) and owner.id == "messages":
        position = 2 if name == "add_message" else 1
        return f"messages.{name}", _argument(call, position, "message")
    return None


def message_calls(
    source: str, helpers: dict[str, tuple[int, str]] | None = None
) -> list[tuple[str, int, bool]]:
    """Each message call in the source: its kind, line, and whether its message is plain."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        message = _message_argument(node, helpers or {})
        if message is None:
            continue
        kind, argument = message
        plain = argument is not None and bool(_plain_parts(argument))
        found.append((node.lineno, node.col_offset, kind, plain))
    return [(kind, line, plain) for line, _column, kind, plain in sorted(found)]


def _all_message_calls() -> list[tuple[str, str, int, bool]]:
    sources = {path: path.read_text(encoding="utf-8") for path in _python_files()}
    helpers = {
        name: at for source in sources.values() for name, at in message_helpers(source).items()
    }
    return [
        (path.relative_to(BASE).as_posix(), kind, line, plain)
        for path, source in sources.items()
        for kind, line, plain in message_calls(source, helpers)
    ]


def test_message_calls_finds_plain_messages():
    source = """
raise ValidationError("Give a name.")
raise serializers.ValidationError({"end": f"Ends at {end}."}, code="x")
raise forms.ValidationError([_("Fine."), "Not fine."])
raise ValidationError({"start": [_("Fine.")]}, code="x")
raise ValidationError(_("Fine %(n)s.") % {"n": 1})
raise ValidationError(message, code="x")
raise ValidationError("Costs " + price)
raise ValidationError("Costs {}".format(price))
messages.success(request, f"Saved {title}.")
messages.error(request, _("Refused."))
messages.add_message(request, messages.INFO, "Hello.")
self.message_user(request, "Done.", messages.SUCCESS)
self.message_user(request, ngettext("%d sent.", "%d sent.", n) % n)
yield EventWarning(code=TRAVEL_TIME, message=f"{minutes} minutes", event_id=1)
yield EventWarning(code=TRAVEL_TIME, message=_("Too far."), event_id=1)
def invalid(field, message, code):
    return ValidationError({field: ValidationError(message, code=code)})
raise checks.invalid("start", "Give a start.", "required")
raise invalid("start", _("Give a start."), "required")
"""

    found = message_calls(source, message_helpers(source))

    assert [(kind, plain) for kind, _line, plain in found] == [
        ("ValidationError", True),
        ("ValidationError", True),
        ("ValidationError", True),
        ("ValidationError", False),
        ("ValidationError", False),
        ("ValidationError", False),
        ("ValidationError", True),
        ("ValidationError", True),
        ("messages.success", True),
        ("messages.error", False),
        ("messages.add_message", True),
        ("message_user", True),
        ("message_user", False),
        ("EventWarning", True),
        ("EventWarning", False),
        ("ValidationError", False),
        ("ValidationError", False),
        ("invalid", True),
        ("invalid", False),
    ]


def test_message_walk_finds_the_code_and_its_messages():
    files = {path.relative_to(BASE).as_posix() for path in _python_files()}
    calls = _all_message_calls()
    kinds = {kind for _path, kind, _line, _plain in calls}

    assert {"scheduling/services/bookings.py", "desk/warnings/bookings.py", "api/admin.py"} <= files
    assert not any("/migrations/" in path or "/management/" in path for path in files)
    # Enough that the walk cannot pass by finding nothing.
    assert len(calls) > 150
    assert {"ValidationError", "EventWarning", "message_user", "messages.success"} <= kinds
    # Helpers that build the error from a parameter are followed to their callers.
    assert {"invalid", "_refuse"} <= kinds


def test_messages_people_read_are_translated():
    plain = [
        f"{path}:{line}: {kind}" for path, kind, line, is_plain in _all_message_calls() if is_plain
    ]

    assert plain == []


# Names makemessages (xgettext with Django's keywords) extracts strings from.
KEYWORDS = {
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}


def hidden_aliases(source: str) -> list[str]:
    """Translation functions imported under a name makemessages does not know: a string marked
    with ``_lazy("...")`` is translated at run time but never reaches the catalogue."""
    return [
        f"{alias.name} as {alias.asname}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
        for alias in node.names
        if alias.name in KEYWORDS and alias.asname not in (None, alias.name, "_")
    ]


def test_hidden_aliases_finds_an_unknown_name():
    source = (
        "from django.utils.translation import gettext as _\n"
        "from django.utils.translation import gettext_lazy as _lazy, ngettext\n"
    )

    assert hidden_aliases(source) == ["gettext_lazy as _lazy"]


def test_translation_functions_keep_names_makemessages_knows():
    hidden = [
        f"{path.relative_to(BASE).as_posix()}: {alias}"
        for path in _python_files()
        for alias in hidden_aliases(path.read_text(encoding="utf-8"))
    ]

    assert hidden == []
