"""`booking-admin`: a small console for the business to list, show and cancel bookings.

    booking-admin list [--json] [--status confirmed|cancelled] [--email E] [--phone P] [--since T]
    booking-admin show CODE
    booking-admin cancel CODE

It reads BOOKING_DB_URL (or `--db-url`) like the action server, and prints times in the business's
timezone from the profile (or `--tz`, e.g. `--tz UTC`). It is a thin shell over `actions.store`:
no booking rules live here. Exit codes: 0 done, 1 unknown booking, 2 bad usage or configuration.
Contact details are printed to the operator's terminal on purpose; nothing is logged.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from actions.store import CANCELLED, CONFIRMED, Booking, BookingStore, url_from_env

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


def _timezone(name: str | None) -> tzinfo:
    if name:
        return ZoneInfo(name)
    # Imported here so the console works (with --tz) even when the profile cannot load.
    from actions.profile import load_profile

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
        prog="booking-admin", parents=[common], description="List, show and cancel bookings."
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
    store = BookingStore(getattr(args, "db_url", None) or url_from_env())
    try:
        store.create_schema()
        return args.run(store, tz, args)
    finally:
        store.dispose()


if __name__ == "__main__":
    sys.exit(main())
