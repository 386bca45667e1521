"""Confirmation mails, rendered from an outbox row and the business profile.

`compose(mail, profile, from_address)` is pure: it builds the whole RFC 5322 message (an
`EmailMessage`, nothing sent) — plain text and HTML alternatives, the business name, the
service, the date and time in the business's timezone, the confirmation code, how to change or
cancel, and an `.ics` attachment (METHOD:REQUEST for a booking or change, METHOD:CANCEL for a
cancellation). Rendering happens at send time, not at booking time, so the outbox stores facts
and a corrected profile (a new phone number, a typo in the address) fixes mails still queued.

Stable identities, so a retried or duplicated mail is recognisably the same:
- Message-ID `<outbox-{row id}.{code}@{domain}>`: one per outbox row, whatever the attempt;
- calendar UID `booking-{code}@{domain}` for every version of a booking, with the row's
  SEQUENCE, so a calendar updates or removes the entry it already has.
`domain` is the sender address's domain. A snapshot that cannot make a valid message (a broken
address) raises ValueError: retrying would not help. Not here: SMTP (smtp.py), the loop
(sender.py).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import phonenumbers

from actions.booking.profile import BusinessProfile
from actions.mail import ics
from actions.spoken.render import say_date, say_span, say_time
from actions.storage.outbox import OutboxMail
from actions.storage.schema import BOOKED, CANCELLED, CHANGED


@dataclass(frozen=True)
class Content:
    subject: str
    headline: str
    facts: tuple[tuple[str, str], ...]  # (label, value) rows, in order
    how_to: str  # how to change or cancel (or book again)


def domain_of(address: str) -> str:
    domain = address.rpartition("@")[2].strip().lower()
    if not domain or any(ch <= " " or ch in "<>@\"'" for ch in domain):
        raise ValueError("expected a sender address like bookings@example.com")
    return domain


def message_id(mail: OutboxMail, domain: str) -> str:
    return f"<outbox-{mail.id}.{mail.code}@{domain}>"


def calendar_uid(code: str, domain: str) -> str:
    return f"booking-{code}@{domain}"


def when(start: datetime, end: datetime, tz: tzinfo) -> str:
    """ "Wednesday, December 9th, 2026, 2 to 2:45 PM (EST)" in the business's wall time."""
    start, end = start.astimezone(tz), end.astimezone(tz)
    day = f"{say_date(start.date())}, {start.year}"
    if end.date() != start.date():
        return f"{day} at {say_time(start)} to {say_date(end.date())} at {say_time(end)}"
    return f"{day}, {say_span(start.time(), end.time())} ({start.tzname()})"


def phone_for_print(e164: str | None, country: str) -> str | None:
    """ "+17185550142" → "(718) 555-0142" at home, "+1 718-555-0142" from abroad."""
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == country.upper()
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else None
    return phonenumbers.format_number(number, style or phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def content(mail: OutboxMail, profile: BusinessProfile) -> Content:
    """What the mail says, as data (the text and HTML parts are two layouts of it). The subject
    leaves the business name to the From line: short enough not to be folded (Python folds a
    value that fits on one continuation line before its first word, and some readers then show
    a leading space)."""
    snap, tz = mail.snapshot, profile.tz
    if snap is None:
        raise ValueError("unreadable snapshot")
    service = snap.service
    at = f"{say_date(snap.start.astimezone(tz).date())} at {say_time(snap.start.astimezone(tz))}"
    facts = [
        ("When", when(snap.start, snap.end, tz)),
        ("Service", service),
        ("Confirmation code", snap.code),
        ("Where", f"{profile.name}, {profile.address}"),
    ]
    phone = phone_for_print(profile.phone, profile.country)
    call = f"call us at {phone}" if phone else "call us"
    if mail.kind == BOOKED:
        subject = f"Booked: {service}, {at}"
        headline = f"Your {service.lower()} at {profile.name} is booked."
    elif mail.kind == CHANGED and snap.previous_start is not None:
        subject = f"Changed: {service}, now {at}"
        headline = f"Your {service.lower()} at {profile.name} has moved."
        before = snap.previous_start.astimezone(tz)
        facts.insert(
            1, ("Before", f"{say_date(before.date())}, {before.year} at {say_time(before)}")
        )
    elif mail.kind == CHANGED:
        subject = f"Updated: {service}, {at}"
        headline = f"Your booking at {profile.name} has been updated."
    elif mail.kind == CANCELLED:
        subject = f"Cancelled: {service}, {at}"
        headline = f"Your {service.lower()} at {profile.name} is cancelled."
        how_to = f"To book again, {call}; our assistant answers any time."
        return Content(subject, headline, tuple(facts), how_to)
    else:
        raise ValueError(f"expected a kind in booked/changed/cancelled, got {mail.kind!r}")
    how_to = (
        f"To change or cancel, {call} and say you'd like to reschedule or cancel; "
        f"have your email address or your confirmation code {snap.code} ready."
    )
    return Content(subject, headline, tuple(facts), how_to)


def text_body(mail: OutboxMail, profile: BusinessProfile, said: Content) -> str:
    width = max(len(label) for label, _ in said.facts) + 1
    rows = [f"{label + ':':<{width}} {value}" for label, value in said.facts]
    return "\n".join(
        [
            f"Hello {mail.snapshot.name},",
            "",
            said.headline,
            "",
            *rows,
            "",
            said.how_to,
            "",
            profile.name,
            "",
        ]
    )


def html_body(mail: OutboxMail, profile: BusinessProfile, said: Content) -> str:
    e = html.escape
    rows = "\n".join(
        f'<tr><th align="left" style="padding-right:1em">{e(label)}</th><td>{e(value)}</td></tr>'
        for label, value in said.facts
    )
    return (
        '<!DOCTYPE html>\n<html><body style="font-family:sans-serif">\n'
        f"<p>Hello {e(mail.snapshot.name)},</p>\n<p><strong>{e(said.headline)}</strong></p>\n"
        f"<table>\n{rows}\n</table>\n<p>{e(said.how_to)}</p>\n<p>{e(profile.name)}</p>\n"
        "</body></html>\n"
    )


def calendar_event(
    mail: OutboxMail, profile: BusinessProfile, from_address: str, said: Content
) -> ics.CalendarEvent:
    snap = mail.snapshot
    return ics.CalendarEvent(
        uid=calendar_uid(snap.code, domain_of(from_address)),
        sequence=mail.sequence,
        method=ics.CANCEL if mail.kind == CANCELLED else ics.REQUEST,
        stamp=mail.created_at,
        start=snap.start,
        end=snap.end,
        summary=f"{snap.service} at {profile.name}",
        location=profile.address,
        description=f"Confirmation code {snap.code}. {said.how_to}",
        organizer_name=profile.name,
        organizer_email=from_address,
        attendee_name=snap.name,
        attendee_email=snap.email,
    )


def compose(mail: OutboxMail, profile: BusinessProfile, from_address: str) -> EmailMessage:
    """The message for one outbox row; ValueError when the row cannot make a valid one."""
    if mail.snapshot is None:
        raise ValueError("unreadable snapshot")
    said = content(mail, profile)
    domain = domain_of(from_address)
    message = EmailMessage()
    message["From"] = Address(display_name=profile.name, addr_spec=from_address)
    message["To"] = Address(display_name=mail.snapshot.name, addr_spec=mail.snapshot.email)
    message["Subject"] = said.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = message_id(mail, domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to us
    message.set_content(text_body(mail, profile, said))
    message.add_alternative(html_body(mail, profile, said), subtype="html")
    event = calendar_event(mail, profile, from_address, said)
    message.add_attachment(
        ics.calendar(event),  # bytes: base64 keeps its CRLF line ends intact
        maintype="text",
        subtype="calendar",
        filename=f"booking-{mail.code}.ics",
        params={"method": event.method, "charset": "utf-8"},
    )
    return message
