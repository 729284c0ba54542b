"""What the web processes check about their own security: the client address that login
lockouts count by, and a SECRET_KEY strong enough to sign sessions and RSVP links."""

from django.conf import settings
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

MAKE_A_KEY = (
    "python -c 'from django.core.management.utils import get_random_secret_key; "
    "print(get_random_secret_key())'"
)


def client_ip(request: HttpRequest) -> str | None:
    """The address django-axes counts failed logins by (AXES_CLIENT_IP_CALLABLE).

    Behind TRUSTED_PROXY_COUNT proxies that each append the address they saw to
    X-Forwarded-For, the client is the entry the outermost one added; entries further left
    came from the client and could be anything. With no proxy, the socket's address.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


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
