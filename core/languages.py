"""The language a person reads the pages in: English or Traditional Chinese.

Visitors (the RSVP pages) choose with Django's own ``set_language`` (a cookie), or their
browser's Accept-Language chooses for them (zh-HK and zh-TW read Traditional Chinese). Staff
choose the same way, and their choice is also remembered for them: it is kept on their
LanguagePreference, put in the session when they log in (on any device), and read from the
session on every request by SessionLanguageMiddleware, at no query's cost.
"""

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import translation

from .models import LanguagePreference

SESSION_KEY = "language"
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def language_remember(*, user: AbstractBaseUser, language: str) -> LanguagePreference:
    """Keep a staff user's choice of language for their next logins."""
    if language not in LANGUAGE_CODES:
        raise ValueError(f"Not a language of the site: {language!r}")
    preference, _created = LanguagePreference.objects.update_or_create(
        user=user, defaults={"language": language}
    )
    return preference


@receiver(user_logged_in, dispatch_uid="core.languages.on_login")
def _on_login(sender, request: HttpRequest | None, user: AbstractBaseUser, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    language = (
        LanguagePreference.objects.filter(user=user).values_list("language", flat=True).first()
    )
    if language:
        request.session[SESSION_KEY] = language


class SessionLanguageMiddleware:
    """After LocaleMiddleware: a language kept in the session (a staff user's remembered
    choice) wins over the cookie and the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        session = getattr(request, "session", None)
        language = session.get(SESSION_KEY) if session is not None else None
        if language in LANGUAGE_CODES:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
