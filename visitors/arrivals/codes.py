"""Check-in codes: eight characters an attendee shows at the door, typed or scanned as a QR code.

The alphabet leaves out 0/O and 1/I (and L, read as 1 by many), so a code read aloud or copied
from paper is typed right; it is written in two groups of four ("K7QM-3XHP") and read back in
any case, with or without the dash or spaces. About 40 random bits: unique within an event by a
constraint, and not guessable from another attendee's.
"""

import re
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
_NOT_IN_CODE = re.compile(r"[\s\-_.]")


def new_checkin_code() -> str:
    """A fresh random code (the field's default, so every way of adding attendees gets one)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalised(typed: str) -> str:
    """The stored form of a typed or scanned code: upper case, without dashes or spaces."""
    return _NOT_IN_CODE.sub("", typed or "").upper()


def shown(code: str) -> str:
    """'K7QM-3XHP': as a person reads it."""
    return f"{code[:4]}-{code[4:]}" if len(code) == LENGTH else code


def qr_png(code: str, *, scale: int = 6) -> bytes:
    """The code as a QR image (PNG: every mail client shows it; SVG is refused by some)."""
    import io

    import segno  # imported here: only the QR image needs it

    buffer = io.BytesIO()
    segno.make(shown(code), error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
