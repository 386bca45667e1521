"""Attack, the other way round: a code that does not reach its booking.

A caller whose number had another booking gave the right code for their own booking and heard
"Sorry, that doesn't match the booking I have" over and over: the code was checked only against
the booking found by the number. Now a code proves its own booking, whichever number calls.
"""

from __future__ import annotations

from datetime import datetime

from tests.bookings import seed
from tests.security.conftest import ASK_DAY, TZ, call, spelled


def test_a_code_from_a_number_with_other_bookings_reaches_its_own_booking(assistant, store):
    phone = "+17185550151"
    by_phone = seed(
        store, "Lou Park", "lou@example.com", datetime(2026, 12, 4, 10, tzinfo=TZ), phone=phone
    )
    other = seed(
        store,
        "Lou Park",
        "lou.park@example.org",
        datetime(2026, 12, 10, 10, tzinfo=TZ),
        "Colour",
        90,
    )
    heard = call(
        assistant,
        ["i want to cancel my appointment", spelled(other.code), "yes"],
        phone=phone,
    )
    assert heard[1].text == ASK_DAY
    assert heard[2].text == (
        "That's your colour on Thursday, December 10th at 10 AM. Shall I cancel it?"
    )
    assert "is cancelled" in heard[3].text
    assert store.get(other.code).status == "cancelled"
    assert store.get(by_phone.code).status == "confirmed"
