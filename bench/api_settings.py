"""Settings of the gunicorn that ``bench/api.py`` starts: the project's own, with the bench's
URLconf (the project's URLs plus the floor view). Never used outside the bench."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
