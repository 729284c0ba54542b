"""Forms every part of the site shares."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class _UsernameLength:
    """Django's login forms set the username's max_length after the field is built, so nothing
    checks it: a longer name reached authenticate(), and django-axes failed writing it into its
    255-character column (a 500 on PostgreSQL). Here it is refused next to the field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class LoginForm(_UsernameLength, AuthenticationForm):
    """The staff pages' login."""


class AdminLoginForm(_UsernameLength, AdminAuthenticationForm):
    """The back office's login."""
