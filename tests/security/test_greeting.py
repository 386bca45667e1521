"""Attack: the greeting tells a spoofed number about its bookings.

A recognised number was greeted "Hi Dana … is this about your colour on Wednesday, December
9th?" before anything was proved, and caller ID can be spoofed. Now the greeting is the same for
every caller; GREET_KNOWN_CALLER=first_name adds the first name only (and the docs say that this
tells a spoofed caller whose number it is).
"""

from __future__ import annotations

from datetime import datetime

from tests.bookings import seed
from tests.security.conftest import GREETING, TZ, call, leaks, restart_actions


def test_the_greeting_to_a_number_with_bookings_says_nothing_of_them(assistant, store):
    phone = "+17185550141"
    dana = seed(
        store,
        "Dana Ward",
        "dana.ward@example.com",
        datetime(2026, 12, 9, 10, tzinfo=TZ),
        "Colour",
        90,
        phone=phone,
    )
    assert call(assistant, [], phone=phone)[0].text == GREETING
    assert call(assistant, [], phone="+17185550142")[0].text == GREETING
    assert call(assistant, [])[0].text == GREETING

    restart_actions(assistant, GREET_KNOWN_CALLER="first_name")
    try:
        named = call(assistant, [], phone=phone)[0].text
        assert named == "Hi Dana, thanks for calling Bella Hair Studio. How can I help you today?"
        assert leaks(named, dana) == [] and "Ward" not in named
        assert call(assistant, [], phone="+17185550142")[0].text == GREETING
    finally:
        restart_actions(assistant, GREET_KNOWN_CALLER=None)
