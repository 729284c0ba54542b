"""Inline rows a screen reader can read: Django's tabular inlines put each field's label in the
column header only, so a row's inputs (and its Delete box) have no accessible name of their own;
``LabelledRowsFormSet`` names each one after its field and its row."""

from django import forms
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.forms.models import BaseInlineFormSet
from django.utils.text import capfirst
from django.utils.translation import gettext as _


def name_inputs(form: forms.BaseForm, *, row: str) -> None:
    """Give each visible input of an inline row an accessible name: its field, then its row."""
    for name, field in form.fields.items():
        widget = field.widget
        if widget.is_hidden:
            continue
        if isinstance(widget, RelatedFieldWidgetWrapper):
            widget = widget.widget  # the wrapper's attrs are shared by every row's copy
        label = capfirst(field.label or name)
        if isinstance(widget, forms.MultiWidget):
            parts = (_("date"), _("time")) if len(widget.widgets) == 2 else ()
            for part, subwidget in zip(parts, widget.widgets, strict=False):
                named = _("%(field)s (%(part)s)") % {"field": label, "part": part}
                subwidget.attrs["aria-label"] = _("%(field)s, %(row)s") % {
                    "field": named,
                    "row": row,
                }
            continue
        # An autocomplete box passes it on to select2's (static/admin/select2_names.js).
        widget.attrs["aria-label"] = _("%(field)s, %(row)s") % {"field": label, "row": row}


class LabelledRowsFormSet(BaseInlineFormSet):
    """An inline formset whose inputs say which field and which row they are."""

    def add_fields(self, form: forms.BaseForm, index: int | None) -> None:
        super().add_fields(form, index)  # adds the Delete box, which needs a name too
        noun = self.model._meta.verbose_name
        if index is None:
            row = _("new %(noun)s") % {"noun": noun}
        else:
            row = _("%(noun)s %(number)s") % {"noun": noun, "number": index + 1}
        name_inputs(form, row=row)
