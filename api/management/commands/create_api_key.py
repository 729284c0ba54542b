import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.models import DEFAULT_SCOPES, Scope
from api.services import api_key_create
from visitors.models import Organisation


class Command(BaseCommand):
    help = (
        "Make an API key and print its token once (only a hash is kept). A partner key "
        "(--organisation <slug>) sees what that organisation may see; a staff key "
        "(--staff <username>) acts as that staff user."
    )

    def add_arguments(self, parser):
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--organisation", metavar="SLUG", help="The partner organisation.")
        owner.add_argument("--staff", metavar="USERNAME", help="The staff user the key acts as.")
        parser.add_argument(
            "--scope",
            action="append",
            choices=Scope.values,
            help=f"Repeat for several (default: {', '.join(DEFAULT_SCOPES)}).",
        )
        parser.add_argument("--name", help="Who uses the key (default: the owner).")
        parser.add_argument("--expires-in-days", type=int, help="Default: never expires.")
        parser.add_argument("--rate", type=int, help="Requests a minute (default: the setting).")

    def handle(self, *args, organisation, staff, scope, name, expires_in_days, rate, **options):
        owner = {}
        if organisation:
            found = Organisation.objects.filter(slug=organisation).first()
            if found is None:
                raise CommandError(f"No organisation with the slug {organisation!r}.")
            owner["organisation"] = found
        else:
            found = get_user_model().objects.filter(username=staff).first()
            if found is None:
                raise CommandError(f"No user {staff!r}.")
            owner["user"] = found
        expires_at = None
        if expires_in_days is not None:
            expires_at = timezone.now() + dt.timedelta(days=expires_in_days)
        try:
            key, token = api_key_create(
                name=name or str(found),
                scopes=scope or DEFAULT_SCOPES,
                expires_at=expires_at,
                rate_per_minute=rate,
                **owner,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stderr.write(
            f"Key {key.prefix} for {found} with scopes {key.scopes}. The token is shown once:"
        )
        self.stdout.write(token)
