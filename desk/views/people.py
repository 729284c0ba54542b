"""The type-ahead behind every person picker on the staff pages (static/staff/people.js)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from ..people import SUGGESTIONS, people_matching, person_label
from .common import staff_required

VIEW_PERSON = "visitors.view_person"


@require_GET
@staff_required(VIEW_PERSON)
def people_search(request: HttpRequest) -> JsonResponse:
    text = request.GET.get("q", "")[:100].strip()
    people = people_matching(text)[:SUGGESTIONS] if text else []
    return JsonResponse(
        {
            "results": [
                {"id": person.pk, "label": person_label(person), "email": person.email}
                for person in people
            ]
        }
    )
