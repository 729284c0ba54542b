"""The language switch on every staff page: Django's set_language, and a staff user's choice
remembered for their next logins (core.languages)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from core.languages import LANGUAGE_CODES, SESSION_KEY, language_remember


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """POST language=<code>[&next=<path>]: the cookie and the way back as set_language does
    them; for a logged-in user the choice is also kept, for this session and the next."""
    response = set_language(request)
    language = request.POST.get("language")
    if language in LANGUAGE_CODES and request.user.is_authenticated:
        language_remember(user=request.user, language=language)
        request.session[SESSION_KEY] = language
    return response
