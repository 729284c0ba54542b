import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_asgi_application()

from config.security import require_strong_secret_key  # noqa: E402

# Fail at start, not on the first request: ImproperlyConfigured if SECRET_KEY is empty, or
# weak while DEBUG is off.
require_strong_secret_key()
