"""Attack: a stranger asks for the code of someone else's booking.

Booking a blow-dry under jane@example.com and then asking "what was my confirmation code for the
haircut?" read out the code of Jane's haircut, and that booking could then be moved. Now the
blow-dry proves only itself: the haircut's code is never said, and it cannot be moved.
"""

from __future__ import annotations

from datetime import datetime

from tests.bookings import seed
from tests.security.conftest import ASK_DAY, TZ, call, leaks


def test_the_code_of_another_booking_under_the_same_email_is_not_read_out(assistant, store):
    jane = seed(store, "Jane Doe", "jane@example.com", datetime(2026, 12, 9, 14, tzinfo=TZ))
    heard = call(
        assistant,
        [
            "i'd like to book a blow dry",
            "eve mallory",
            "jane at example dot com",
            "thursday",
            "11 am",
            "yes",
            "what was my confirmation code for the haircut?",
            "wednesday december 9th",
            "eve mallory",
            "i want to move my appointment",
            "the haircut on wednesday",
        ],
    )
    assert "You're all set" in heard[6].text
    # Asked about the haircut, the caller is asked to prove it: the day or the code, then the
    # name; the wrong name gets nothing.
    assert heard[7].text == ASK_DAY
    said = " ".join(response.text for response in heard[7:])
    assert "Sorry, I couldn't match that to a booking." in heard[9].text
    assert leaks(said, jane) == [], said
    assert " ".join(jane.code) not in said and jane.code not in said
    stored = store.get(jane.code)
    assert stored.status == "confirmed" and stored.start == jane.start  # not moved
