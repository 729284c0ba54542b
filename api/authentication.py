"""``Authorization: Bearer <key>``: who is calling, as an ApiKey and the audience it stands for."""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from scheduling.visibility import STAFF, Audience, partner

from .models import ApiKey
from .services import api_key_authenticate


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """A staff key authenticates as its user; a partner key as an anonymous user whose
    ``request.auth`` is the key. No header at all leaves the request unauthenticated (401)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the header as “Authorization: Bearer <key>”.")
            )
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from None
        key = api_key_authenticate(token)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked API key."))
        return (key.user if key.is_staff_key else AnonymousUser()), key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate), not 403, when the key is missing or bad.
        return f'{self.keyword} realm="api"'


def audience_of(key: ApiKey) -> Audience:
    """The visibility rule's audience for a key: staff, or the partner organisation."""
    return STAFF if key.is_staff_key else partner(key.organisation_id)
