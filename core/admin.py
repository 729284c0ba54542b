"""The back office's base: admin classes that save through services, and read-only history lists.

Declarative admin; where saving has rules, ``save_model``/``save_formset`` call the services.
A save a service refuses is rolled back and the form comes back with the service's message
(``ServiceAdmin``), so staff never see a 500 or a half-saved event. Every model with history
has a History page (who, when, why, what changed) and a read-only "Historical …" list
(``ChangeLogAdmin``), so "who moved the minister's visit?" is one search away.
"""

import datetime as dt
from collections.abc import Callable, Iterator

from django.contrib import admin, messages
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import IntegrityError, models
from django.forms import BaseFormSet, Form
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from simple_history.admin import SimpleHistoryAdmin

from .audit import reason_shown

REFUSAL = "_service_refusal"


# --- Saving through services ------------------------------------------------------------------


def as_refusal(error: ValidationError | IntegrityError) -> ValidationError:
    """What to tell staff when a save is refused, whether a service or the database said no."""
    if isinstance(error, ValidationError):
        return error
    if "booking_no_overlap" in str(error):
        return ValidationError(
            _("The facility is already booked at that time. Nothing was saved."),
            code="booking_clash",
        )
    return ValidationError(
        _("The change conflicts with data saved meanwhile. Nothing was saved; please try again."),
        code="integrity",
    )


def refusal_by_field(
    refusal: ValidationError, form: Form
) -> Iterator[tuple[str | None, list[str]]]:
    """Each refusal message with the form field it belongs to (None: shown above the form)."""
    if not hasattr(refusal, "error_dict"):
        yield None, refusal.messages
        return
    for name, errors in refusal.error_dict.items():
        lines = ValidationError(errors).messages
        if name in form.fields:
            yield name, lines
        elif name == NON_FIELD_ERRORS:
            yield None, lines
        else:
            label = field_label(form._meta.model, name)
            yield None, [labelled(label, line) for line in lines]


def labelled(label: str, message: str) -> str:
    """'Roles: A person takes one part in an item.': a message and what it is about."""
    return _("%(label)s: %(message)s") % {"label": label, "message": message}


def field_label(model: type[models.Model], name: str) -> str:
    try:
        return capfirst(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a service may name something that is not a field ("roles")
        return capfirst(name.replace("_", " "))


def refused_form(form_class: type[Form], refusal: ValidationError) -> type[Form]:
    """The same form, which also reports the refusal: it can only re-render, never save."""

    class RefusedForm(form_class):
        def clean(self):
            cleaned = super().clean()
            for name, lines in refusal_by_field(refusal, self):
                self.add_error(name, lines)
            return cleaned

    RefusedForm.__name__ = form_class.__name__
    return RefusedForm


def refusal_for_row(label: str, error: ValidationError) -> ValidationError:
    """A service's refusal of one inline row, worded for the form above the inlines."""
    return ValidationError(
        [labelled(label, line) for line in error.messages], code="inline_refused"
    )


def touched_rows(formset: BaseFormSet) -> Iterator[tuple[Form, str]]:
    """Each inline row the user touched, with what to do: "create", "update" or "delete"."""
    deleted = formset.deleted_forms
    for form in formset.initial_forms:
        if form in deleted:
            yield form, "delete"
        elif form.has_changed():
            yield form, "update"
    for form in formset.extra_forms:
        if form.has_changed() and form not in deleted:
            yield form, "create"


def save_rows(
    formset: BaseFormSet,
    *,
    label: Callable[[Form], str],
    save: Callable[[Form], models.Model] | None,
    delete: Callable[[Form], None] | None,
) -> None:
    """Save each touched inline row through a service; a refusal names the row it came from.

    Records what was done on the formset, as formset.save() would, for the admin's change log.
    """
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    if save is None:
        return
    for row, action in touched_rows(formset):
        try:
            if action == "delete":
                delete(row)
                formset.deleted_objects.append(row.instance)
            elif action == "update":
                formset.changed_objects.append((save(row), row.changed_data))
            else:
                formset.new_objects.append(save(row))
        except ValidationError as error:
            raise refusal_for_row(label(row), error) from error


class ServiceSavesAdmin(admin.ModelAdmin):
    """Saves through services; a refused save re-renders the form with the reason, nothing saved.
    For models without history; those with it take ``ServiceAdmin``."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, IntegrityError) as error:
            if request.method != "POST" or hasattr(request, REFUSAL):
                raise
            # The admin's transaction has rolled back everything the services did. Render the
            # submitted form again, now invalid with the service's reason.
            setattr(request, REFUSAL, as_refusal(error))
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, REFUSAL, None)
        return form if refusal is None else refused_form(form, refusal)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            opts = self.model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            return HttpResponseRedirect(url)

    def get_actions(self, request):
        # Bulk delete skips the services (and their rules); delete one at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class ServiceAdmin(ServiceSavesAdmin, SimpleHistoryAdmin):
    """Saves through services (``ServiceSavesAdmin``), with the model's History page and no
    revert: reverting writes an old version straight to the row."""

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def render_history_view(self, request, template, context, **kwargs):
        # The History page prints each record's reason as kept: read it in the reader's language
        # (a Page keeps the records it lists; one version's page lists none).
        for record in context.get("page_obj", ()):
            record.history_change_reason = reason_shown(record.history_change_reason or "")
        return super().render_history_view(request, template, context, **kwargs)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting writes an old version straight to the row, around every service rule.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


def local_time(value: dt.datetime | None, zone=None) -> str:
    if value is None:
        return "—"
    # 'Mon 04 Mar 2030 10:00 HKT'; '2030年3月4日（星期一）10:00 HKT' in Chinese.
    form = pgettext("date format (Django date syntax)", "D d M Y H:i T")
    return date_format(timezone.localtime(value, zone), form)


# --- Change logs: who changed what, when and why -------------------------------------------------


def related_or_gone(record: models.Model, name: str) -> str:
    """A historical row's related object; it may have been deleted since."""
    try:
        value = getattr(record, name)
    except ObjectDoesNotExist:
        value = None
    if value is not None:
        return str(value)
    pk = getattr(record, f"{name}_id")
    return _("#%(id)s (deleted)") % {"id": pk} if pk else "—"


def shown(model: type[models.Model], name: str, value) -> str:
    """A value from a history record as staff read it: local times, choice labels."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    try:
        choices = dict(model._meta.get_field(name).flatchoices)
    except FieldDoesNotExist:
        choices = {}
    return str(choices.get(value, value))


class ChangeLogAdmin(admin.ModelAdmin):
    """A read-only list of history records, newest first: who changed what, when and why."""

    list_filter = (
        "history_type",
        ("history_user", admin.RelatedOnlyFieldListFilter),
        ("history_date", admin.DateFieldListFilter),
    )
    date_hierarchy = "history_date"
    ordering = ("-history_date", "-history_id")
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("When"), ordering="history_date")
    def when(self, record) -> str:
        return local_time(record.history_date)

    @admin.display(description=gettext_lazy("Changed by"), ordering="history_user__username")
    def by(self, record) -> str:
        return str(record.history_user) if record.history_user_id else _("system")

    @admin.display(description=gettext_lazy("Action"), ordering="history_type")
    def action(self, record) -> str:
        return record.get_history_type_display()

    @admin.display(description=gettext_lazy("Reason"))
    def reason(self, record) -> str:
        return reason_shown(record.history_change_reason or "") or "—"

    @admin.display(description=gettext_lazy("What changed"))
    def changes(self, record) -> str:
        previous = record.prev_record
        if previous is None:
            return "—"
        delta = record.diff_against(previous, foreign_keys_are_objs=True)
        model = record.instance_type
        return format_html_join(
            mark_safe("<br>"),
            _("{field}: {old} → {new}"),
            (
                {
                    "field": field_label(model, change.field),
                    "old": shown(model, change.field, change.old),
                    "new": shown(model, change.field, change.new),
                }
                for change in delta.changes
            ),
        )
