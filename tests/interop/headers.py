"""Address headers read as RFC 5322 and RFC 2047 say a mail client reads them.

The structure is parsed first and encoded words are decoded after, with the white space between
two adjacent encoded words dropped (RFC 2047 §6.2). Python 3.11's modern parser
(``policy.default``) keeps that white space inside display names (CPython gh-128110, fixed in
later releases), so a long name it reads back gains spaces Outlook, Gmail or Thunderbird do not
show; the compat32 parser, ``getaddresses`` and ``decode_header`` read it right.
"""

import email
import re
from email.header import decode_header, make_header
from email.utils import getaddresses


def mailboxes(message: bytes, header: str = "To") -> list[tuple[str, str]]:
    """(display name, address) of each mailbox in the header of a message as received."""
    raw = email.message_from_bytes(message)[header]
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", str(raw))
    return [
        (str(make_header(decode_header(name))), address)
        for name, address in getaddresses([unfolded])
    ]
