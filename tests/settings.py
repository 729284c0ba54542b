"""Test settings: the real settings, with only what tests need changed."""

import os

os.environ.setdefault("DEBUG", "false")
# Strong enough for config/wsgi.py's start-up check, which the gunicorn of e2e tests runs.
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-7Yq2vL9xK4mN8pR3sT6wZ1bC5dF0gH2jJ")

from config.settings import *  # noqa: E402,F403
from config.settings import DATABASES, Q_CLUSTER, REDIS_URL, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run inline unless a test talks to the broker on purpose.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
if REDIS_URL:
    # Each xdist worker gets its own key space in the shared Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pd-test-" + os.environ.get("PYTEST_XDIST_WORKER", "main"),
        }
    }
    CACHES["throttle"] = CACHES["default"]
else:
    # Each xdist worker counts in its own store: their keys' ids repeat.
    CACHES["throttle"]["LOCATION"] += "-" + os.environ.get("PYTEST_XDIST_WORKER", "main")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not SQLite's shared in-memory database: concurrency tests need real separate
    # connections that queue on the write lock as production ones do. xdist adds a suffix.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_protocol_desk.sqlite3")}

# WhiteNoise scans STATIC_ROOT at start-up unless it autorefreshes; tests never collectstatic.
WHITENOISE_AUTOREFRESH = True
