"""Read serializers whose declared fields are the one source of an answer's shape.

drf-spectacular documents the fields a serializer declares. ``Output.to_representation`` (DRF's
documented override point) renders those same fields, through a plan compiled from the
declarations once per class. Adding, removing or renaming a field changes the schema and the
answer together; there is no second list to keep in step (tests/api/test_output.py checks that
every answer has exactly the fields its schema component names, and that the plan reads each
field as DRF's own machinery would).

Why a plan rather than DRF's own ``Serializer.to_representation``: for every field of every
object DRF calls ``get_attribute`` (a loop with exception handling), checks for ``PKOnlyObject``
and ``None`` and calls the field's ``to_representation``. A page of 100 events with their
programme, roles and bookings has some 7,000 fields. Measured in process on one staff page,
DRF's loop over these declarations took 18-24 ms, the plan 5-6 ms; the hand-written dicts this
replaces took about as long as the plan, and a plan of one closure per field 15-35% longer.
The page must keep at least half the throughput of a bare ``.values()`` view (issue 11,
``python -m bench api``), which it did only just. So the plan is generated code: one function
per serializer class that builds the dict as one would by hand (``plan().source`` shows it).
From the declarations:

- a model column (or a foreign key, as its id): ``obj.<column>``, since a column of text, a
  number or a boolean already is its JSON (DRF's ``str(value)``... changes nothing);
- a ``DateTimeField``: ``api.fields.rfc3339`` in the zone ``zone_of`` names for the object (the
  event's for an event and its parts, the site's for availability);
- a field declared with ``shown_to=rule`` (``RestrictedCharField``, ``RestrictedIntegerField``,
  or a nested serializer): null unless ``rule(audience, obj)``; the rules are
  scheduling.visibility's;
- a nested serializer: its own plan (null where there is no related row, a reverse one-to-one
  with none, as DRF answers). A list of them reads the rows a view prefetched into
  ``prefetched(name)`` (a plain list, no related manager per object), else the related
  manager, and leaves out the rows the child class's ``listed_for`` rule hides;
- anything else (a property, a dotted source, a wall-clock time): the field's own
  ``get_attribute`` and ``to_representation``, exactly as DRF does.

Libraries that promise fast DRF output (drf-serpy, pydantic-based ones) declare fields in
classes of their own, which drf-spectacular does not read: the shape would be written twice.
"""

import operator
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from rest_framework import serializers
from rest_framework.relations import PrimaryKeyRelatedField
from rest_framework.settings import api_settings

from scheduling.visibility import Audience

from ..fields import rfc3339

Rule = Callable[[Audience, Any], bool]
PREFETCHED = "prefetched_"


def prefetched(name: str) -> str:
    """The ``to_attr`` under which a view prefetches the rows of the nested field ``name``: a plain
    list is read without creating a related manager per object."""
    return PREFETCHED + name


class RestrictedMixin:
    """A field some audiences may not see: present and null for them, so that every answer has
    the same shape whoever asks. ``shown_to(audience, obj)`` decides, for the object the field
    belongs to, before the value is read."""

    def __init__(self, *args, shown_to: Rule, **kwargs):
        self.shown_to = shown_to
        super().__init__(*args, **{"read_only": True, "allow_null": True, **kwargs})


class RestrictedCharField(RestrictedMixin, serializers.CharField):
    pass


class RestrictedIntegerField(RestrictedMixin, serializers.IntegerField):
    pass


# DRF's to_representation of these casts a value to the type the column already holds.
AS_STORED = {
    serializers.CharField.to_representation,
    serializers.IntegerField.to_representation,
    serializers.BooleanField.to_representation,
    serializers.ChoiceField.to_representation,
}

# A step renders one field of an object that no plain expression can: step(obj, context, zone).
Step = Callable[[Any, dict, Any], Any]


def _column(model: type[models.Model] | None, source: str) -> models.Field | None:
    """The concrete model field stored under ``source`` (a name or a foreign key's attname)."""
    if model is None:
        return None
    for field in model._meta.concrete_fields:
        if source in (field.name, field.attname):
            return field
    return None


def _as_stored(field: serializers.Field) -> bool:
    """Whether DRF would render a column's value as it is (its cast changes no JSON)."""
    if isinstance(field, serializers.BigIntegerField):
        return not getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
    return isinstance(field, PrimaryKeyRelatedField) or type(field).to_representation in AS_STORED


def _expression(field: serializers.Field, model: type[models.Model] | None) -> str | None:
    """The field as a Python expression over ``obj`` and ``zone``, where it is that simple."""
    path = field.source
    if not all(part.isidentifier() for part in path.split(".")):
        return None
    if isinstance(field, serializers.DateTimeField):
        return f"rfc3339(obj.{path}, zone)"
    column = _column(model, path)
    if column is not None and _as_stored(field):
        # A foreign key as its id, without fetching the related row.
        return f"obj.{column.attname if column.is_relation else path}"
    return None


def _step(field: serializers.Field) -> Step:
    """A nested serializer through its own plan; anything else as DRF renders it."""
    if isinstance(field, serializers.ListSerializer) and isinstance(field.child, Output):
        return _many_step(field.source, type(field.child))
    if isinstance(field, Output):
        render = type(field).plan()
        get = operator.attrgetter(field.source)

        def step(obj, context, zone):
            try:
                value = get(obj)
            except ObjectDoesNotExist:  # a reverse one-to-one without its row
                return None
            return None if value is None else render(value, context)

        return step
    drf_get, drf_represent = field.get_attribute, field.to_representation

    def step(obj, context, zone):
        value = drf_get(obj)
        return None if value is None else drf_represent(value)

    return step


def _many_step(source: str, child: type["Output"]) -> Step:
    render, rule = child.plan(), child.listed_for
    attr = prefetched(source)

    def step(obj, context, zone):
        rows = getattr(obj, attr, None)
        if rows is None:
            rows = getattr(obj, source)
            if isinstance(rows, models.Manager):
                rows = rows.all()
        if rule is not None:
            audience = context["audience"]
            rows = [row for row in rows if rule(audience, row)]
        return [render(row, context) for row in rows]

    return step


class Output:
    # Mixin for a read serializer (before ``serializers.Serializer`` or ``ModelSerializer``).
    # ``zone_of(obj, context)`` names the zone its times are written in; ``listed_for``, when
    # set (with ``staticmethod``), is the rule that leaves an object out of a nested list for
    # audiences that may not see it. The context carries the ``audience`` (the view's
    # get_serializer_context). Nested as a field, ``shown_to=rule`` makes it null unless
    # ``rule(audience, parent)``, as RestrictedMixin does for a field. No docstring:
    # drf-spectacular would show it as the description of every serializer that has none of
    # its own.

    listed_for: Rule | None = None
    _plan: Callable[[Any, dict], dict] | None = None

    def __init__(self, *args, shown_to: Rule | None = None, **kwargs):
        self.shown_to = shown_to
        super().__init__(*args, **kwargs)

    @classmethod
    def zone_of(cls, obj: Any, context: dict):
        return context.get("zone") or timezone.get_current_timezone()

    @classmethod
    def plan(cls) -> Callable[[Any, dict], dict]:
        """render(obj, context) -> dict, compiled from the declared fields on first use."""
        if cls.__dict__.get("_plan") is None:
            cls._plan = _compile(cls)
        return cls._plan

    def to_representation(self, instance) -> dict[str, Any]:
        return self.plan()(instance, self.context)


def _compile(cls: type[Output]) -> Callable[[Any, dict], dict]:
    """One Python function that builds the dict as one would by hand: ``{"id": obj.id, "start":
    rfc3339(obj.start, zone), "internal_notes": (obj.internal_notes if rule_1(...) else None),
    "programme": step_2(obj, context, zone), ...}``. Names and sources are the declared ones
    (identifiers, checked); ``plan().source`` shows the code."""
    model = getattr(getattr(cls, "Meta", None), "model", None)
    fields = [field for field in cls().fields.values() if not field.write_only]
    namespace: dict[str, Any] = {"rfc3339": rfc3339, "zone_of": cls.zone_of}
    entries = []
    for n, field in enumerate(fields):
        expression = _expression(field, model)
        if expression is None:
            namespace[f"step_{n}"] = _step(field)
            expression = f"step_{n}(obj, context, zone)"
        rule = getattr(field, "shown_to", None)
        if rule is not None:
            namespace[f"rule_{n}"] = rule
            expression = f"({expression} if rule_{n}(context['audience'], obj) else None)"
        entries.append(f"        {field.field_name!r}: {expression},")
    timed = any(isinstance(field, serializers.DateTimeField) for field in fields)
    source = "\n".join(
        [
            "def render(obj, context):",
            f"    zone = {'zone_of(obj, context)' if timed else 'None'}",
            "    return {",
            *entries,
            "    }",
        ]
    )
    exec(compile(source, f"<plan of {cls.__qualname__}>", "exec"), namespace)
    render = namespace["render"]
    render.source = source
    return render
