"""What scheduling announces for the apps built on it, which it does not import.

``event_changed`` is sent inside the transaction of a change that attendees' calendars may show
(the event locked, its revision raised), so that visitors can write the invites it calls for
in the same transaction, raising the invites' SEQUENCE as it does (visitors/invitations.py).
Arguments: ``event``; ``changed``, a set of Event field names plus "venue" (the place invites
name moved), "place_name" (a site's or facility's name or address an invite prints changed)
or "programme" (the run-of-show changed); ``previous_status``; ``by``, the user or
None; ``partner_id``, the organisation whose API key made the change, or None; ``summary``,
what changed in words for the update attendees receive, in every language of the site
(scheduling.wording.Said); ``shifted``, the offset when the whole event moved (call times move
with it), else None.
"""

from django.dispatch import Signal

event_changed = Signal()

consent_requested = Signal()
"""Sent inside the transaction that asks a stop's host for consent (first asked, asked again, or
asked again because the stop moved): ``consent``, the StopConsent at its new version. visitors
writes the e-mail with the new link (visitors/consents.py)."""
