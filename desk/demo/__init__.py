"""Demo data: the world of the seed press releases (shared/seeds) and eight weeks ahead of it.

``demo_load()`` builds it through the services; ``manage.py load_demo`` calls it.
"""

from .build import demo_load

__all__ = ["demo_load"]
