"""`booking-admin`: a small console for the business to list, show and cancel bookings, see the
confirmation mails, and anonymise old bookings.

    booking-admin list [--json] [--status confirmed|cancelled] [--email E] [--phone P] [--since T]
    booking-admin show CODE
    booking-admin cancel CODE
    booking-admin outbox [--json] [--status pending|sent|failed] [--show ID]
    booking-admin purge --before YYYY-MM-DD

It reads BOOKING_DB_URL (or `--db-url`) like the action server, and prints times in the business's
timezone from the profile (or `--tz`, e.g. `--tz UTC`). It is a thin shell over
`actions.storage.bookings`:
no booking rules live here. Exit codes: 0 done, 1 unknown booking or mail, 2 bad usage or
configuration. `purge` refuses a date after today: upcoming bookings keep their contact details.
Contact details are printed to the operator's terminal on purpose; nothing is logged.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import date, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from actions.booking import clock
from actions.storage import outbox, schema
from actions.storage.bookings import Booking, BookingStore, url_from_env
from actions.storage.purge import compact_sqlite, purge_before
from actions.storage.schema import CANCELLED, CONFIRMED

EXIT_OK, EXIT_NOT_FOUND, EXIT_USAGE = 0, 1, 2


def booking_json(booking: Booking, tz: tzinfo) -> dict[str, Any]:
    """A booking as JSON-ready data, times as ISO 8601 with the business's offset."""
    return {
        "code": booking.code,
        "reference": booking.reference,
        "name": booking.name,
        "email": booking.email,
        "phone": booking.phone,
        "service": booking.service,
        "start": booking.start.astimezone(tz).isoformat(),
        "end": booking.end.astimezone(tz).isoformat(),
        "status": booking.status,
        "created_at": booking.created_at.astimezone(tz).isoformat(),
        "updated_at": booking.updated_at.astimezone(tz).isoformat(),
    }


def describe(booking: Booking, tz: tzinfo) -> str:
    """Several human-readable lines about one booking."""
    start, end = booking.start.astimezone(tz), booking.end.astimezone(tz)
    return "\n".join(
        [
            f"Booking {booking.code} ({booking.status})",
            f"  When:    {start:%a %d %b %Y %H:%M}-{end:%H:%M} ({start.tzname()})",
            f"  Service: {booking.service}",
            f"  Name:    {booking.name}",
            f"  Email:   {booking.email}",
            f"  Phone:   {booking.phone or '-'}",
            f"  Updated: {booking.updated_at.astimezone(tz):%Y-%m-%d %H:%M}",
        ]
    )


def _row(booking: Booking, tz: tzinfo) -> str:
    start, end = booking.start.astimezone(tz), booking.end.astimezone(tz)
    return (
        f"{booking.code}  {start:%Y-%m-%d %H:%M}-{end:%H:%M}  {booking.status:<9}  "
        f"{booking.service}  {booking.name}  {booking.email}  {booking.phone or '-'}"
    )


def _list(store: BookingStore, tz: tzinfo, args: argparse.Namespace) -> int:
    since = None
    if args.since:
        since = datetime.fromisoformat(args.since)
        since = since if since.tzinfo else since.replace(tzinfo=tz)  # a bare time is local
    found = store.list_bookings(status=args.status, email=args.email, phone=args.phone, since=since)
    if args.json:
        print(json.dumps([booking_json(b, tz) for b in found], indent=2, ensure_ascii=False))
    else:
        for booking in found:
            print(_row(booking, tz))
        print(f"{len(found)} booking(s)")
    return EXIT_OK


def _show(store: BookingStore, tz: tzinfo, args: argparse.Namespace) -> int:
    booking = store.get(args.code)
    if booking is None:
        print(f"No booking with code {args.code!r}.", file=sys.stderr)
        return EXIT_NOT_FOUND
    print(describe(booking, tz))
    return EXIT_OK


def _cancel(store: BookingStore, tz: tzinfo, args: argparse.Namespace) -> int:
    before = store.get(args.code)
    booking = store.cancel(args.code) if before is not None else None
    if booking is None:
        print(f"No booking with code {args.code!r}.", file=sys.stderr)
        return EXIT_NOT_FOUND
    done = "was already cancelled" if before.status == CANCELLED else "is now cancelled"
    print(f"Booking {booking.code} {done}.")
    return EXIT_OK


def mail_json(mail: outbox.OutboxMail, tz: tzinfo) -> dict[str, Any]:
    """An outbox row as JSON-ready data (the recipient included: this is the operator's view)."""

    def local(value: datetime | None) -> str | None:
        return value.astimezone(tz).isoformat() if value is not None else None

    snap = mail.snapshot
    return {
        "id": mail.id,
        "kind": mail.kind,
        "code": mail.code,
        "to": snap.email if snap else None,
        "service": snap.service if snap else None,
        "start": local(snap.start) if snap else None,
        "status": mail.status,
        "attempts": mail.attempts,
        "created_at": local(mail.created_at),
        "next_attempt_at": local(mail.next_attempt_at) if mail.status == schema.PENDING else None,
        "sent_at": local(mail.sent_at),
        "last_error": mail.last_error,
    }


def _mail_row(mail: outbox.OutboxMail, tz: tzinfo) -> str:
    created = mail.created_at.astimezone(tz)
    if mail.status == schema.SENT and mail.sent_at is not None:
        state = f"sent {mail.sent_at.astimezone(tz):%Y-%m-%d %H:%M:%S}"
    elif mail.status == schema.PENDING:
        state = f"pending, next try {mail.next_attempt_at.astimezone(tz):%Y-%m-%d %H:%M:%S}"
    else:
        state = mail.status
    error = f"  ({mail.last_error})" if mail.last_error else ""
    return (
        f"#{mail.id}  {created:%Y-%m-%d %H:%M}  {mail.kind:<9}  {mail.code}  "
        f"{mail.snapshot.email if mail.snapshot else '(unreadable)'}"
        f"  {state}, {mail.attempts} attempt(s){error}"
    )


def _outbox(store: BookingStore, tz: tzinfo, args: argparse.Namespace) -> int:
    if args.show is not None:
        return _show_mail(store, args.show)
    mails = store.read(lambda conn: outbox.list_mails(conn, args.status))
    if args.json:
        print(json.dumps([mail_json(m, tz) for m in mails], indent=2, ensure_ascii=False))
    else:
        for mail in mails:
            print(_mail_row(mail, tz))
        print(f"{len(mails)} mail(s)")
    return EXIT_OK


def _show_mail(store: BookingStore, mail_id: int) -> int:
    """The mail exactly as the sender would render it now, as RFC 5322 text."""
    from actions.booking.profile import load_profile
    from actions.mail.confirmation import compose

    found = store.read(lambda conn: outbox.get_mail(conn, mail_id))
    if found is None:
        print(f"No mail #{mail_id} in the outbox.", file=sys.stderr)
        return EXIT_NOT_FOUND
    sender = os.environ.get("SMTP_FROM", "").strip() or "bookings@localhost"
    try:
        print(compose(found, load_profile(), sender).as_string())
    except ValueError as error:  # a broken profile (ProfileError) or a row that cannot render
        print(f"booking-admin: cannot render mail #{mail_id}: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _purge(store: BookingStore, tz: tzinfo, args: argparse.Namespace) -> int:
    cutoff = datetime.combine(args.before, time(0), tzinfo=tz)
    if args.before > clock.now(tz).date():
        print(
            f"booking-admin: --before {args.before} is after today; purge only anonymises "
            "past bookings",
            file=sys.stderr,
        )
        return EXIT_USAGE
    counts = store.transaction(lambda conn: purge_before(conn, cutoff))
    if counts.bookings or counts.mails:
        compact_sqlite(args.db_url)
    print(
        f"Purged {counts.bookings} booking(s) and {counts.mails} mail(s) starting before "
        f"{args.before} ({counts.pending_dropped} unsent mail(s) dropped); "
        f"{counts.proof_failures} old failed proof(s) deleted."
    )
    return EXIT_OK


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _timezone(name: str | None) -> tzinfo:
    if name:
        return ZoneInfo(name)
    # Imported here so the console works (with --tz) even when the profile cannot load.
    from actions.booking.profile import load_profile

    return load_profile().tz


def build_parser() -> argparse.ArgumentParser:
    # Global options are accepted before or after the command (SUPPRESS keeps either value).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--tz",
        default=argparse.SUPPRESS,
        help="timezone for printed times (default: the business profile's)",
    )
    common.add_argument(
        "--db-url",
        default=argparse.SUPPRESS,
        help="bookings database URL (default: $BOOKING_DB_URL or var/bookings.db)",
    )
    parser = argparse.ArgumentParser(
        prog="booking-admin",
        parents=[common],
        description="List, show and cancel bookings; see the outbox; purge old bookings.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = commands.add_parser("list", parents=[common], help="list bookings")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--status", choices=[CONFIRMED, CANCELLED])
    listing.add_argument("--email")
    listing.add_argument("--phone")
    listing.add_argument("--since", help="ISO date/time; without an offset, in the business tz")
    listing.set_defaults(run=_list)
    for name, run, text in (
        ("show", _show, "show one booking"),
        ("cancel", _cancel, "cancel a booking"),
    ):
        command = commands.add_parser(name, parents=[common], help=text)
        command.add_argument("code", help="confirmation code, e.g. K7P2Q")
        command.set_defaults(run=run)
    mails = commands.add_parser("outbox", parents=[common], help="list confirmation mails")
    mails.add_argument("--json", action="store_true", help="print a JSON array")
    mails.add_argument("--status", choices=schema.STATUSES)
    mails.add_argument("--show", type=int, metavar="ID", help="print one mail as it would be sent")
    mails.set_defaults(run=_outbox)
    purge = commands.add_parser(
        "purge", parents=[common], help="anonymise bookings before a date, and their mails"
    )
    purge.add_argument(
        "--before",
        type=_day,
        required=True,
        metavar="YYYY-MM-DD",
        help="bookings starting before this day (business timezone)",
    )
    purge.set_defaults(run=_purge)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        tz = _timezone(getattr(args, "tz", None))
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:  # ProfileError is a ValueError
        print(
            f"booking-admin: no usable timezone ({error}); pass --tz, e.g. --tz UTC",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.command == "list" and args.since:
        try:
            datetime.fromisoformat(args.since)
        except ValueError:
            parser.error(f"--since: expected an ISO date/time, got {args.since!r}")
    args.db_url = getattr(args, "db_url", None) or url_from_env()
    store = BookingStore(args.db_url)
    try:
        store.create_schema()
        return args.run(store, tz, args)
    finally:
        store.dispose()


if __name__ == "__main__":
    sys.exit(main())
