"""An iCalendar (RFC 5545) writer for one appointment, as iTIP (RFC 5546) REQUEST or CANCEL.

Hand-written rather than a dependency: one VEVENT needs a dozen properties, and the rules that
matter fit here — CRLF line ends, TEXT escaping (backslash, semicolon, comma, newline), quoted
parameter values, lines folded at 75 octets without splitting a UTF-8 character. Times are UTC
with a "Z" (no VTIMEZONE block needed). A calendar recognises later versions of the same entry by
its UID and a higher SEQUENCE; METHOD:CANCEL with the same UID removes it.

Pure: values in, bytes out. Not here: what the entry says (confirmation.py decides the texts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

REQUEST, CANCEL = "REQUEST", "CANCEL"
_LINE_OCTETS = 75


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    method: str  # REQUEST | CANCEL
    stamp: datetime  # when this version was made (DTSTAMP), aware
    start: datetime  # aware
    end: datetime
    summary: str
    location: str
    description: str
    organizer_name: str
    organizer_email: str
    attendee_name: str
    attendee_email: str

    def __post_init__(self) -> None:
        if self.method not in (REQUEST, CANCEL):
            raise ValueError(f"expected method REQUEST or CANCEL, got {self.method!r}")
        for name in ("stamp", "start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{name}: expected a timezone-aware datetime, got {value}")
        if self.end <= self.start:
            raise ValueError(f"expected end after start, got {self.start} → {self.end}")


def utc_stamp(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT: backslash first, then ; , and newlines as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def quote_param(value: str) -> str:
    """A parameter value (CN=...): double quotes are not allowed in one at all, and controls
    would break the line; anything with : ; , must be quoted."""
    value = "".join(ch for ch in value if ch >= " " and ch != '"' and ch != "\x7f")
    return f'"{value}"' if any(ch in value for ch in ":;,") else value


def _mailto(address: str) -> str:
    if any(ch <= " " or ch in '"<>' for ch in address):
        raise ValueError("expected an email address without spaces, quotes or controls")
    return f"mailto:{address}"


def fold(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets, continuation lines starting with
    a space (which counts toward their 75), never inside a UTF-8 sequence."""
    chunks, current, size, limit = [], [], 0, _LINE_OCTETS
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            chunks.append("".join(current))
            current, size, limit = [], 0, _LINE_OCTETS - 1
        current.append(ch)
        size += width
    chunks.append("".join(current))
    return "\r\n ".join(chunks)


def calendar(event: CalendarEvent, product: str = "-//voice-booking//bookings//EN") -> bytes:
    """The whole VCALENDAR object, UTF-8, CRLF line ends."""
    cancelled = event.method == CANCEL
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{product}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{event.method}",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{utc_stamp(event.stamp)}",
        f"DTSTART:{utc_stamp(event.start)}",
        f"DTEND:{utc_stamp(event.end)}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"LOCATION:{escape_text(event.location)}",
        f"DESCRIPTION:{escape_text(event.description)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
        f"ORGANIZER;CN={quote_param(event.organizer_name)}:{_mailto(event.organizer_email)}",
        # The caller agreed on the phone: ACCEPTED spares them an RSVP prompt.
        (
            f"ATTENDEE;CN={quote_param(event.attendee_name)};ROLE=REQ-PARTICIPANT"
            f"{'' if cancelled else ';PARTSTAT=ACCEPTED'}:{_mailto(event.attendee_email)}"
        ),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")
