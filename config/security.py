"""What the web processes check about their own security: a SECRET_KEY strong enough to sign
sessions and RSVP links."""

from django.conf import settings
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

MAKE_A_KEY = (
    "python -c 'from django.core.management.utils import get_random_secret_key; "
    "print(get_random_secret_key())'"
)


def secret_key_problem(key: str) -> str:
    """Why Django's deploy check would call this SECRET_KEY weak, or "" when it is strong."""
    if key.startswith(SECRET_KEY_INSECURE_PREFIX):
        return f"it starts with {SECRET_KEY_INSECURE_PREFIX!r}"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"it is shorter than {SECRET_KEY_MIN_LENGTH} characters ({len(key)})"
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return (
            f"it uses fewer than {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different characters "
            f"({len(set(key))})"
        )
    return ""


def require_strong_secret_key() -> None:
    """Refuse to serve with DEBUG off on a missing or weak SECRET_KEY (config/wsgi.py, asgi.py).

    Only web processes call this: management commands run without a key (makemigrations in a
    build step), and Django itself refuses anything that signs when the key is empty.
    """
    if settings.DEBUG:
        return
    problem = secret_key_problem(settings.SECRET_KEY)  # ImproperlyConfigured when empty
    if problem:
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak to sign sessions and RSVP links: {problem}. "
            f"Make one with:\n    {MAKE_A_KEY}\nand set it in the environment as SECRET_KEY."
        )
