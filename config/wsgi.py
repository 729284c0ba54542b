import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from django.conf import settings  # noqa: E402
from django.urls import get_resolver  # noqa: E402

# Fail at start, not on the first request: ImproperlyConfigured if SECRET_KEY is empty.
settings.SECRET_KEY  # noqa: B018

# Import every view (the API, the admin, the staff pages) now rather than on the first request,
# then take all that the process has loaded out of the garbage collector's sight: it lives as
# long as the process, and every full collection would walk those hundreds of thousands of
# objects again while a request builds its thousands of model instances.
get_resolver().url_patterns  # noqa: B018
gc.freeze()
