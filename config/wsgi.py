import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from django.conf import settings  # noqa: E402

from config.warmup import process_warm_up  # noqa: E402

# Fail at start, not on the first request: ImproperlyConfigured if SECRET_KEY is empty.
settings.SECRET_KEY  # noqa: B018
process_warm_up()
