"""What a long-lived process does once before serving: web workers (config/wsgi.py) and task
workers (django-q2's post_spawn, see core/apps.py).

Every view is imported now rather than by the first request or the first invite (an invite's
RSVP link is reversed through the URLconf, which imports the API, the admin and the staff
pages: some 0.2 s). Then everything loaded so far, which lives as long as the process, is
taken out of the garbage collector's sight: otherwise every full collection walks those
hundreds of thousands of objects again while a request or a batch builds its thousands of
model instances.
"""

import gc

from django.urls import get_resolver


def process_warm_up(*, web: bool = False) -> None:
    get_resolver().url_patterns  # noqa: B018
    if web:
        # drf-spectacular resolves its extensions on first use, and two threads doing that at
        # once can fail (a first /api/schema/ answered 500 once): resolve them before serving.
        from drf_spectacular.generators import SchemaGenerator

        SchemaGenerator().get_schema(request=None, public=True)
    gc.freeze()


def task_worker_warm_up(sender, proc_name: str, **kwargs) -> None:
    """django-q2's post_spawn: each task worker process warms up once (core/apps.py)."""
    process_warm_up()
