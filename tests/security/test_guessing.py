"""Attack: guessing the name on a booking.

Before the fix three wrong names offered a person and the count started again: seven guesses in
one call, no lock-out. Now three failed proofs end the tries of a call (the team is offered: a
transfer with the profile's number, or a goodbye that ends the call), and a fourth is refused even
when right. Across calls, six failed proofs by name against one booking within 24 hours lock
proof by name for it for an hour; the right name then fails like a wrong one, the code still
works, and the lock lives in the database (a restarted action server keeps it).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from tests.bookings import seed
from tests.security.conftest import (
    ASK_DAY,
    NO_MATCH,
    TZ,
    call,
    leaks,
    profile_changed,
    restart_actions,
    spelled,
)

TEAM = "I'm sorry, I can't check any more bookings on this call"


def three_wrong_names(day: str) -> list[str]:
    return [day, "john smith", day, "bob jones", day, "sam wise"]


def test_three_failed_proofs_end_the_tries_of_a_call_with_a_transfer(assistant, store):
    gus = seed(store, "Gus Hale", "gus@example.com", datetime(2026, 12, 7, 10, tzinfo=TZ))
    heard = call(
        assistant,
        [
            "i want to cancel my appointment",
            "gus at example dot com",
            *three_wrong_names("monday"),
            # A fourth try, right this time, in the same call: refused.
            "i want to cancel my appointment",
            spelled(gus.code),
            "monday",
            "gus hale",
        ],
    )
    third = heard[8]
    assert third.text.startswith(NO_MATCH) and TEAM in third.text
    assert "put you through to the team" in third.text
    assert third.flags.get("transfer_number") == "+17185550143"
    assert third.flags.get("no_interruption_allowed") is True
    assert heard[4].text == heard[6].text == f"{NO_MATCH} {ASK_DAY}"  # the first two
    fourth = heard[9]
    assert TEAM in fourth.text and fourth.flags.get("transfer_number")
    later = " ".join(r.text for r in heard[9:])
    # ("monday" alone gets the calendar's answer, "We're closed on Mondays": not the booking.)
    assert "Shall I cancel" not in later and "haircut" not in later.lower(), later
    assert spelled(gus.code) not in later and "December 7th" not in later, later
    assert store.get(gus.code).status == "confirmed"


def test_without_a_transfer_number_the_third_failed_proof_ends_the_call(assistant, store):
    ivy = seed(store, "Ivy Cole", "ivy@example.com", datetime(2026, 12, 7, 11, tzinfo=TZ))
    with profile_changed(assistant, transfer_number=None):
        heard = call(
            assistant,
            [
                "when is my appointment",
                "ivy at example dot com",
                *three_wrong_names("monday"),
                "when is my appointment",
                spelled(ivy.code),
            ],
        )
    third = heard[8]
    assert third.text.startswith(NO_MATCH) and TEAM in third.text
    assert third.text.endswith("goodbye!") and third.flags.get("end_call") is True
    after = " ".join(r.text for r in heard[9:])
    assert TEAM in heard[9].text and leaks(after, ivy) == [], after


def failures_recorded(assistant, code: str) -> int:
    engine = sa.create_engine(assistant.env["BOOKING_DB_URL"])
    try:
        with engine.connect() as conn:
            query = sa.text("SELECT count(*) FROM proof_failures WHERE booking_code = :code")
            return conn.execute(query, {"code": code}).scalar()
    finally:
        engine.dispose()


def test_six_failed_proofs_across_calls_lock_the_name_but_never_the_code(assistant, store):
    hal = seed(store, "Hal Berg", "hal@example.com", datetime(2026, 12, 8, 15, tzinfo=TZ))
    day = "tuesday december 8th"
    for n in range(2):  # two calls of three guesses
        caller = f"guesser-{n}-{hal.code}"
        assistant.say(caller, "i want to cancel my appointment")
        assistant.say(caller, "hal at example dot com")
        for line in three_wrong_names(day):
            assistant.say(caller, line)
    assert failures_recorded(assistant, hal.code) == 6

    owner = f"owner-{hal.code}"
    assistant.say(owner, "when is my appointment")
    assistant.say(owner, "hal at example dot com")
    assert assistant.say(owner, day) == ["And the name on the booking?"]
    # The right name during the lock: the same words as a wrong one.
    assert assistant.say(owner, "hal berg") == [NO_MATCH, ASK_DAY]
    assert failures_recorded(assistant, hal.code) == 6  # a locked booking records no more
    # The code always works: the owner has it in the confirmation mail.
    told = " ".join(assistant.say(owner, spelled(hal.code)))
    assert "Tuesday, December 8th at 3 PM" in told and spelled(hal.code) in told

    # A restarted action server reads the lock from the database.
    restart_actions(assistant)
    again = f"owner-again-{hal.code}"
    assistant.say(again, "i want to cancel my appointment")
    assistant.say(again, "hal at example dot com")
    assistant.say(again, day)
    assert assistant.say(again, "hal berg") == [NO_MATCH, ASK_DAY]
    assert store.get(hal.code).status == "confirmed"
