"""Replies received are kept with what became of them; staff decide those held for review."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.scheduling.test_admin import messages_of
from tests.visitors.test_itip_reply import STAMP, _eml, _invitee, _reply
from visitors.models import Attendance, InboundReply
from visitors.replies import reply_apply, reply_dismiss, reply_receive

pytestmark = pytest.mark.django_db

MAILBOX = InboundReply.Source.MAILBOX


def test_reply_receive_applies_a_genuine_reply_and_keeps_it():
    attendance = _invitee()
    data = _eml(_reply(attendance))

    reply = reply_receive(data=data, source=MAILBOX, mailbox="m", uidvalidity=7, uid=1)

    reply.refresh_from_db()
    assert reply.state == InboundReply.State.APPLIED
    assert (reply.sender, reply.method, reply.attendance) == (
        "alfred.sit@example.gov.hk",
        "REPLY",
        attendance,
    )
    assert bytes(reply.raw) == data
    attendance.refresh_from_db()
    assert attendance.rsvp == Attendance.RSVP.ACCEPTED


def test_reply_receive_holds_a_forged_sender_for_review_with_the_reason():
    attendance = _invitee()

    reply = reply_receive(
        data=_eml(_reply(attendance), sender="mallory@example.net"), source=MAILBOX
    )

    assert reply.state == InboundReply.State.NEEDS_REVIEW
    assert reply.code == "sender"
    assert reply.reason.startswith("sender: Sent by mallory@example.net")
    assert reply.attendance == attendance
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None


def test_reply_receive_refuses_a_stale_reply_naming_its_attendee():
    attendance = _invitee()

    reply = reply_receive(data=_reply(attendance, sequence=0), source=MAILBOX)

    assert (reply.state, reply.code, reply.attendance) == (
        InboundReply.State.REFUSED,
        "stale_sequence",
        attendance,
    )


def test_reply_receive_tells_ordinary_mail_from_a_reply():
    reply = reply_receive(
        data=b"From: a@example.org\r\nSubject: Thanks\r\n\r\nSee you there.\r\n", source=MAILBOX
    )

    assert (reply.state, reply.code, reply.sender) == (
        InboundReply.State.NOT_A_REPLY,
        "no_ics",
        "",
    )


def test_reply_receive_reads_a_mailbox_message_once():
    attendance = _invitee()
    data = _eml(_reply(attendance))

    first = reply_receive(data=data, source=MAILBOX, mailbox="m", uidvalidity=7, uid=1)
    again = reply_receive(data=data, source=MAILBOX, mailbox="m", uidvalidity=7, uid=1)
    renumbered = reply_receive(data=data, source=MAILBOX, mailbox="m", uidvalidity=8, uid=1)

    assert again == first and again.state == InboundReply.State.APPLIED
    assert renumbered.state == InboundReply.State.REFUSED  # the same DTSTAMP again: a replay
    assert InboundReply.objects.count() == 2


def test_reply_apply_by_staff_records_the_delegation_and_who_decided(officer):
    attendance = _invitee()
    held = reply_receive(
        data=_reply(attendance, attendees=[("alfred.sit@example.gov.hk", "DELEGATED")]),
        source=InboundReply.Source.FILE,
    )

    applied = reply_apply(reply_id=held.pk, by=officer)

    assert held.state == InboundReply.State.NEEDS_REVIEW
    assert (applied.state, applied.reviewed_by) == (InboundReply.State.APPLIED, officer)
    attendance.refresh_from_db()
    assert (attendance.rsvp, attendance.rsvp_at) == (Attendance.RSVP.DELEGATED, STAMP)
    assert attendance.history.first().history_user == officer


def test_reply_apply_refuses_what_is_not_waiting_for_review(officer):
    attendance = _invitee()
    applied = reply_receive(data=_reply(attendance), source=InboundReply.Source.FILE)

    with pytest.raises(ValidationError, match="applied, not waiting for review"):
        reply_apply(reply_id=applied.pk, by=officer)


def test_reply_dismiss_leaves_the_answer_alone(officer):
    attendance = _invitee()
    held = reply_receive(data=_reply(attendance, method="COUNTER"), source=MAILBOX)

    dismissed = reply_dismiss(reply_id=held.pk, by=officer)

    assert held.code == "counter"
    assert (dismissed.state, dismissed.reviewed_by) == (InboundReply.State.DISMISSED, officer)
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None


def test_inbound_reply_admin_applies_and_explains_a_refusal(client, officer):
    attendance = _invitee()
    forged = reply_receive(data=_eml(_reply(attendance), method="REQUEST"), source=MAILBOX)
    counter = reply_receive(data=_reply(attendance, method="COUNTER"), source=MAILBOX)
    client.force_login(officer)
    url = reverse("admin:visitors_inboundreply_changelist")

    listed = client.get(url, {"state__exact": "needs_review"})
    response = client.post(
        url,
        {"action": "apply_anyway", "_selected_action": [forged.pk, counter.pk]},
        follow=True,
    )

    assert set(listed.context["cl"].result_list) == {forged, counter}
    assert "1 applied." in messages_of(response)
    assert any("make it on the event if you agree" in text for text in messages_of(response))
    forged.refresh_from_db()
    counter.refresh_from_db()
    assert (forged.state, counter.state) == ("applied", "needs_review")
    attendance.refresh_from_db()
    assert attendance.rsvp == Attendance.RSVP.ACCEPTED


def test_inbound_reply_admin_shows_the_message_as_received(client, officer):
    attendance = _invitee()
    reply = reply_receive(data=_eml(_reply(attendance), sender="x@example.net"), source=MAILBOX)
    client.force_login(officer)

    response = client.get(reverse("admin:visitors_inboundreply_change", args=[reply.pk]))

    assert b"Subject: Accepted: Ceremony" in response.content
    assert b"Sent by x@example.net" in response.content
    assert b'name="_save"' not in response.content  # decided by the list's actions only


def test_apply_itip_reply_command_keeps_a_forged_file_for_review(tmp_path, capsys):
    from django.core.management import CommandError, call_command

    attendance = _invitee()
    forged = tmp_path / "forged.eml"
    forged.write_bytes(_eml(_reply(attendance), sender="mallory@example.net"))

    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("apply_itip_reply", str(forged))

    reply = InboundReply.objects.get()
    assert (
        f"{forged}: kept for review (inbound reply #{reply.pk}): sender:" in capsys.readouterr().err
    )
    assert (reply.source, reply.state) == ("file", "needs_review")
