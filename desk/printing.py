"""PDFs of the printables, and the office's letterhead on them.

A PDF is the HTML printable itself (same template, same print stylesheet) laid out by
WeasyPrint. WeasyPrint fetches what the page links to; here it may read only this site's static
files, from disk (the collected files, else the finders' sources), and never goes over HTTP:
a PDF does not depend on the server reaching itself, and a page cannot make it fetch elsewhere.

WeasyPrint loads Pango, HarfBuzz and fontconfig when it is first imported, so it is imported on
the first PDF, not with the app: without those libraries the staff pages still work, and the
PDF link answers that the PDF cannot be made and what to install (``PdfUnavailable``).
"""

import functools
import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import slugify

# What WeasyPrint needs from Debian (its "First steps"; Pango ≥ 1.44), and the fonts that draw
# Chinese names. .ci/run installs the same list.
SYSTEM_PACKAGES = (
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz-subset0",
    "libfontconfig1",
    "fonts-noto-cjk",
)
INSTALL = "apt-get install " + " ".join(SYSTEM_PACKAGES)


class PdfUnavailable(Exception):
    """WeasyPrint, or a system library it needs, cannot be loaded on this machine."""


@dataclass(frozen=True)
class Letterhead:
    name: str
    name_zh: str
    address: str
    logo: str  # a static file's name, or ""


def letterhead() -> Letterhead:
    """The office's letterhead, as settings give it (PRINT_LETTERHEAD_*)."""
    return Letterhead(
        name=settings.PRINT_LETTERHEAD_NAME,
        name_zh=settings.PRINT_LETTERHEAD_NAME_ZH,
        address=settings.PRINT_LETTERHEAD_ADDRESS,
        logo=settings.PRINT_LETTERHEAD_LOGO,
    )


def pdf_filename(*, title: str, event_id: int, kind: str) -> str:
    """'mars-centre-inspection-itinerary.pdf'; 'event-12-itinerary.pdf' for a title with no
    ASCII letters (slugify keeps only those, and the name must survive every browser)."""
    return f"{slugify(title)[:60].strip('-') or f'event-{event_id}'}-{kind}.pdf"


def static_file(url: str) -> str | None:
    """The file on disk behind one of this site's static URLs, or None for any other URL."""
    prefix = urlsplit(settings.STATIC_URL).path
    prefix = prefix if prefix.startswith("/") else "/" + prefix
    path = unquote(urlsplit(url).path)
    if not path.startswith(prefix):
        return None
    name = path.removeprefix(prefix)
    try:
        # Collected files first: in production {% static %} names the hashed copy.
        collected = staticfiles_storage.path(name)
        if os.path.isfile(collected):
            return collected
        found = finders.find(name)
    except (SuspiciousFileOperation, NotImplementedError):
        return None  # "../" out of the static directories, or storage that is not on disk
    return found if isinstance(found, str) else None


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    """The PDF of a printable's HTML; raises PdfUnavailable if WeasyPrint cannot be loaded."""
    weasyprint = _weasyprint()
    fetcher = _static_files_fetcher(weasyprint.URLFetcher)()
    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()


def _weasyprint():
    try:
        return importlib.import_module("weasyprint")
    except (ImportError, OSError) as error:  # OSError: cffi could not open libpango etc.
        raise PdfUnavailable(str(error)) from error


@functools.cache
def _static_files_fetcher(base: type) -> type:
    class StaticFilesFetcher(base):
        """Reads this site's static files from disk and refuses every other URL."""

        def fetch(self, url, headers=None):
            path = static_file(url)
            if path is None:
                raise ValueError(f"A printable reads only this site's static files, not {url}")
            return super().fetch(Path(path).as_uri(), headers)

    return StaticFilesFetcher
