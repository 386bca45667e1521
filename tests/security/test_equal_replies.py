"""Attack: replies that tell what exists.

"I couldn't find an upcoming booking under X" against "To make sure it's you…" told anyone
whether an address had bookings. Now, until proof, a caller hears the same lines whatever the
email, the number or the day holds: the same conversation with an address (or a number) that has
bookings and one that has none, on a day with a booking and one without, reads the same.
"""

from __future__ import annotations

from datetime import datetime

from tests.bookings import seed
from tests.security.conftest import TZ, call

DAYS = ["saturday december 5th", "sunday december 6th", "monday december 7th"]


def lines_for(assistant, caller: str, start: str, key: str) -> list[list[str]]:
    heard = [assistant.say(caller, start), assistant.say(caller, key)]
    for day in DAYS:
        heard.append(assistant.say(caller, day))
        heard.append(assistant.say(caller, "kim park"))  # nobody's name
    return heard


def test_an_email_with_bookings_and_one_without_hear_the_same(assistant, store):
    seed(store, "Uma Reed", "uma@example.com", datetime(2026, 12, 5, 10, tzinfo=TZ))
    seed(store, "Uma Reed", "uma@example.com", datetime(2026, 12, 7, 14, tzinfo=TZ), "Colour", 90)
    for start in ("i want to cancel my appointment", "when is my appointment"):
        with_bookings = lines_for(assistant, f"a-{start[:6]}", start, "uma at example dot com")
        without = lines_for(assistant, f"b-{start[:6]}", start, "nobody at example dot com")
        assert with_bookings == without, (with_bookings, without)
        assert "Sorry, I couldn't match that to a booking." in with_bookings[3]


def test_a_number_with_bookings_and_one_without_hear_the_same(assistant, store):
    known, unknown = "+17185550131", "+17185550132"
    seed(
        store,
        "Uma Reed",
        "uma.r@example.com",
        datetime(2026, 12, 5, 13, tzinfo=TZ),
        phone=known,
    )
    lines = ["cancel my appointment", DAYS[0], "kim park", DAYS[1], "kim park"]
    with_bookings = [r.text for r in call(assistant, lines, phone=known)]
    without = [r.text for r in call(assistant, lines, phone=unknown)]
    assert with_bookings == without, (with_bookings, without)
