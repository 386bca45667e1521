"""Rendering confirmation mails (pure): content, the HTML part, the .ics read back by icalendar."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

import icalendar
import pytest

from actions.booking.profile import BusinessProfile, load_profile
from actions.mail import confirmation, ics
from actions.storage.outbox import OutboxMail, Snapshot

UTC = timezone.utc
START = datetime(2030, 12, 3, 19, 0, tzinfo=UTC)  # 2 PM in New York (EST)
CREATED = datetime(2030, 11, 20, 15, 30, tzinfo=UTC)
FROM = "bookings@bella.example"


@pytest.fixture(scope="module")
def profile() -> BusinessProfile:
    profile = load_profile()
    assert profile.timezone == "America/New_York" and profile.phone == "+17185550142"
    return profile


def make_mail(kind: str = "booked", sequence: int = 0, **snap: object) -> OutboxMail:
    values: dict[str, object] = {
        "code": "K7P2Q",
        "name": "Jane Doe",
        "email": "jane@example.com",
        "phone": "+14155550123",
        "service": "Haircut",
        "start": START,
        "end": START + timedelta(minutes=45),
    }
    values.update(snap)
    return OutboxMail(
        id=42,
        booking_id=7,
        code="K7P2Q",
        kind=kind,
        sequence=sequence,
        snapshot=Snapshot(**values),
        status="pending",
        attempts=0,
        next_attempt_at=CREATED,
        claimed_by=None,
        claimed_until=None,
        created_at=CREATED,
        sent_at=None,
        last_error=None,
    )


def parts(message: EmailMessage) -> tuple[str, str, bytes]:
    """(text, html, ics bytes) of a composed message, read back from its wire form."""
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "booking-K7P2Q.ics"
    return text, html, attachment.get_payload(decode=True)  # the raw bytes, CRLF and all


def event_of(data: bytes) -> tuple[icalendar.Calendar, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_booking_mail(profile: BusinessProfile) -> None:
    message = confirmation.compose(make_mail(), profile, FROM)
    assert message["Subject"] == "Booked: Haircut, Tuesday, December 3rd at 2 PM"
    assert message["From"].addresses[0].display_name == "Bella Hair Studio"
    assert message["From"].addresses[0].addr_spec == FROM
    assert message["To"].addresses[0].addr_spec == "jane@example.com"
    assert message["Message-ID"] == "<outbox-42.K7P2Q@bella.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"].datetime == CREATED
    text, html, data = parts(message)
    for expected in (
        "Hello Jane Doe,",
        "Your haircut at Bella Hair Studio is booked.",
        "Tuesday, December 3rd, 2030, 2 to 2:45 PM (EST)",  # business-local time
        "Haircut",
        "K7P2Q",
        "214 Atlantic Avenue, Brooklyn, NY 11201",
        "To change or cancel, call us at (718) 555-0142",
    ):
        assert expected in text and expected.replace("'", "&#x27;") in html
    assert html.lstrip().startswith("<!DOCTYPE html>") and "<table>" in html
    calendar, event = event_of(data)
    assert str(calendar["METHOD"]) == "REQUEST" and str(calendar["VERSION"]) == "2.0"
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == START + timedelta(minutes=45)
    assert str(event["SUMMARY"]) == "Haircut at Bella Hair Studio"
    assert str(event["LOCATION"]) == profile.address  # commas escaped and read back
    assert str(event["UID"]) == "booking-K7P2Q@bella.example"
    assert int(event["SEQUENCE"]) == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == f"mailto:{FROM}"
    assert str(event["ATTENDEE"]) == "mailto:jane@example.com"
    assert event["ATTENDEE"].params["CN"] == "Jane Doe"
    assert "K7P2Q" in str(event["DESCRIPTION"])
    assert event.decoded("DTSTAMP") == CREATED


def test_reschedule_mail(profile: BusinessProfile) -> None:
    moved = make_mail(
        "changed",
        1,
        start=START + timedelta(days=1),
        end=START + timedelta(days=1, minutes=45),
        previous_start=START,
    )
    message = confirmation.compose(moved, profile, FROM)
    assert message["Subject"] == "Changed: Haircut, now Wednesday, December 4th at 2 PM"
    text, html, data = parts(message)
    assert "Your haircut at Bella Hair Studio has moved." in text
    assert "Wednesday, December 4th, 2030, 2 to 2:45 PM (EST)" in text
    assert "Before:            Tuesday, December 3rd, 2030 at 2 PM" in text
    assert "Before" in html and "How" not in text
    calendar, event = event_of(data)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "booking-K7P2Q@bella.example"  # the same entry, updated
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == START + timedelta(days=1)


def test_update_without_a_move(profile: BusinessProfile) -> None:
    text, _, _ = parts(
        confirmation.compose(make_mail("changed", 2, name="Jane Q. Doe"), profile, FROM)
    )
    assert "Hello Jane Q. Doe," in text and "has been updated" in text and "Before" not in text


def test_cancellation_mail(profile: BusinessProfile) -> None:
    message = confirmation.compose(make_mail("cancelled", 2), profile, FROM)
    assert message["Subject"] == "Cancelled: Haircut, Tuesday, December 3rd at 2 PM"
    text, html, data = parts(message)
    assert "Your haircut at Bella Hair Studio is cancelled." in text
    assert "To book again, call us at (718) 555-0142" in text and "K7P2Q" in text
    assert "is cancelled" in html
    calendar, event = event_of(data)
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == "booking-K7P2Q@bella.example" and int(event["SEQUENCE"]) == 2
    assert event.decoded("DTSTART") == START


def test_message_id_is_per_row_and_stable(profile: BusinessProfile) -> None:
    first = confirmation.compose(make_mail(), profile, FROM)
    again = confirmation.compose(make_mail(), profile, FROM)
    other = confirmation.compose(replace(make_mail(), id=43), profile, FROM)
    assert first["Message-ID"] == again["Message-ID"] != other["Message-ID"]
    assert first.as_bytes().count(b"Message-ID") == 1


def test_html_is_escaped(profile: BusinessProfile) -> None:
    _, html, data = parts(confirmation.compose(make_mail(name='<b>Ann & "Bo"</b>'), profile, FROM))
    assert "<b>Ann" not in html and "&lt;b&gt;Ann &amp; &quot;Bo&quot;&lt;/b&gt;" in html
    _, event = event_of(data)
    assert event["ATTENDEE"].params["CN"] == "<b>Ann & Bo</b>"  # quotes cannot go in a param


def test_unicode_names_and_folding(profile: BusinessProfile) -> None:
    name = "Zoë Ångström-Łukasiewicz, " + "é" * 60
    message = confirmation.compose(make_mail(name=name), profile, FROM)
    text, _, data = parts(message)
    assert f"Hello {name}," in text
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")
    _, event = event_of(data)
    assert event["ATTENDEE"].params["CN"] == name


def test_a_bad_address_cannot_render(profile: BusinessProfile) -> None:
    with pytest.raises(ValueError):
        confirmation.compose(make_mail(email="jane\r\nBcc: x@example.com"), profile, FROM)
    with pytest.raises(ValueError):
        confirmation.compose(make_mail(), profile, "no-domain")


def test_without_a_business_phone(profile: BusinessProfile) -> None:
    text, _, _ = parts(confirmation.compose(make_mail(), replace(profile, phone=None), FROM))
    assert "To change or cancel, call us and say" in text


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a, b; c\\d", "a\\, b\\; c\\\\d"),
        ("two\nlines\r\nthree", "two\\nlines\\nthree"),
        ("plain", "plain"),
    ],
)
def test_ics_escape_text(raw: str, escaped: str) -> None:
    assert ics.escape_text(raw) == escaped


def test_ics_fold_counts_octets() -> None:
    line = "DESCRIPTION:" + "€" * 40  # 3 octets each
    folded = ics.fold(line)
    chunks = folded.split("\r\n")
    assert all(len(chunk.encode()) <= 75 for chunk in chunks)
    assert all(chunk.startswith(" ") for chunk in chunks[1:])
    assert "".join(chunk[1:] if i else chunk for i, chunk in enumerate(chunks)) == line


def test_ics_refuses_bad_events() -> None:
    good = {
        "uid": "u",
        "sequence": 0,
        "method": "REQUEST",
        "stamp": START,
        "start": START,
        "end": START + timedelta(hours=1),
        "summary": "s",
        "location": "l",
        "description": "d",
        "organizer_name": "o",
        "organizer_email": "o@x.y",
        "attendee_name": "a",
        "attendee_email": "a@x.y",
    }
    assert ics.calendar(ics.CalendarEvent(**good)).endswith(b"END:VCALENDAR\r\n")
    with pytest.raises(ValueError, match="method"):
        ics.CalendarEvent(**{**good, "method": "PUBLISH"})
    with pytest.raises(ValueError, match="end after start"):
        ics.CalendarEvent(**{**good, "end": START})
    with pytest.raises(ValueError, match="timezone-aware"):
        ics.CalendarEvent(**{**good, "start": START.replace(tzinfo=None)})
    with pytest.raises(ValueError, match="email"):
        ics.calendar(ics.CalendarEvent(**{**good, "attendee_email": "a@x.y\r\nX:1"}))
