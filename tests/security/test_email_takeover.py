"""Attack: knowing an email is enough to take over someone's bookings.

Eve books a beard trim under Tom's email, then asks about "her" appointment and cancels "the one
on saturday": Tom's haircut. Before the fix the booking marked her verified for the email, she
heard "I see 2 bookings: beard trim on Friday … and haircut on Saturday …", and Tom's haircut was
cancelled. Now the booking proves her beard trim only; Saturday needs the name on it.
"""

from __future__ import annotations

from datetime import datetime

from tests.bookings import seed
from tests.e2e.calls import code_in
from tests.security.conftest import ASK_NAME, TZ, call, leaks

ATTACK = [
    "when is my appointment?",
    "I want to cancel my appointment",
    "the one on saturday",
    "yes",
]


def test_email_takeover_over_rest_fails(assistant, store, caller):
    tom = seed(store, "Tom Taylor", "tom.taylor@example.com", datetime(2026, 12, 5, 11, tzinfo=TZ))
    assistant.say(caller, "i'd like to book a beard trim")
    assistant.say(caller, "eve mallory")
    assistant.say(caller, "tom dot taylor at example dot com")
    assistant.say(caller, "friday")
    assert "Shall I book it?" in " ".join(assistant.say(caller, "2 pm"))
    eves = code_in(" ".join(assistant.say(caller, "yes")))

    heard = [assistant.say(caller, line) for line in ATTACK]
    said = " ".join(" ".join(lines) for lines in heard)
    # Her own booking she may hear about: it is the one she proved by making it.
    assert "beard trim on Friday, December 4th at 2 PM" in " ".join(heard[0])
    assert "That's your beard trim on Friday" in " ".join(heard[1])
    # "the one on saturday" is another booking: the proof is gone, the name is asked for.
    assert heard[2] == [ASK_NAME]
    assert leaks(said, tom) == [] and "I see 2 bookings" not in said, said
    assert store.get(tom.code).status == "confirmed"
    assert store.get(eves).status == "confirmed"  # "yes" was no name, and no confirmation


def test_email_takeover_over_the_socket_fails(assistant, store):
    tom = seed(store, "Tom Taylor", "tom.taylor@example.net", datetime(2026, 12, 5, 15, tzinfo=TZ))
    heard = call(
        assistant,
        [
            "i'd like to book a beard trim",
            "eve mallory",
            "tom dot taylor at example dot net",
            "friday",
            "3 pm",
            "yes",
            *ATTACK,
        ],
    )
    assert "You're all set" in heard[6].text
    said = " ".join(response.text for response in heard[7:])
    assert heard[9].text == ASK_NAME
    assert leaks(said, tom) == [] and "I see 2 bookings" not in said, said
    assert store.get(tom.code).status == "confirmed"
    assert store.get(code_in(heard[6].text)).status == "confirmed"
