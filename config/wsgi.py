import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from config.security import require_strong_secret_key  # noqa: E402
from core.warmup import process_warm_up  # noqa: E402

# Fail at start, not on the first request: ImproperlyConfigured if SECRET_KEY is empty, or
# weak while DEBUG is off.
require_strong_secret_key()
process_warm_up(web=True)
