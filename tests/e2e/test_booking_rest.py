"""One caller books over Rasa's REST channel, against the real servers and a real database."""

from __future__ import annotations

import re

CODE = re.compile(r"confirmation code is ((?:[A-Z0-9] ){4}[A-Z0-9])\b")


def spoken_code(lines: list[str]) -> str:
    for line in lines:
        if match := CODE.search(line):
            return match.group(1).replace(" ", "")
    raise AssertionError(f"no confirmation code in {lines}")


def joined(lines: list[str]) -> str:
    return " ".join(lines)


def row(assistant, code: str) -> dict:
    rows = [b for b in assistant.bookings() if b["code"] == code]
    assert len(rows) == 1, rows
    return rows[0]


def test_a_booking_one_value_per_turn(assistant, caller):
    greeting = joined(assistant.say(caller, "hi"))
    assert "Bella Hair Studio" in greeting

    said = joined(assistant.say(caller, "i'd like to book an appointment"))
    assert "Which service would you like: haircut" in said

    assert "your name" in joined(assistant.say(caller, "a haircut please"))
    assert "email" in joined(assistant.say(caller, "jane doe"))
    assert "What day" in joined(assistant.say(caller, "it's jane at example dot com"))
    said = joined(assistant.say(caller, "next wednesday"))
    assert "What time would you like on Wednesday, December 2nd?" in said

    said = joined(assistant.say(caller, "2 pm"))
    assert (
        "Jane Doe, haircut, Wednesday, December 2nd at 2 PM, confirmation to "
        "jane@example.com, spelled J A N E. Shall I book it?" in said
    )
    said = assistant.say(caller, "yes please")
    code = spoken_code(said)
    assert "Is there anything else I can help with?" in joined(said)

    booking = row(assistant, code)
    assert booking["name"] == "Jane Doe"
    assert booking["email"] == "jane@example.com"
    assert booking["service"] == "Haircut"
    assert booking["start"] == "2026-12-02T14:00:00-05:00"
    assert booking["status"] == "confirmed"

    assert "Goodbye" in joined(assistant.say(caller, "no thanks"))


def test_everything_in_one_breath_then_a_correction_at_the_read_back(assistant, caller):
    said = joined(
        assistant.say(
            caller,
            "hi i'm maria garcia i want a haircut thursday at 3 "
            "my email is maria dot garcia at example dot com",
        )
    )
    assert "Maria Garcia, haircut, Thursday, December 3rd at 3 PM" in said
    assert "maria.garcia@example.com" in said

    said = joined(assistant.say(caller, "no make it four"))
    assert "Thursday, December 3rd at 4 PM" in said and "Shall I book it?" in said

    code = spoken_code(assistant.say(caller, "yes"))
    booking = row(assistant, code)
    assert booking["start"] == "2026-12-03T16:00:00-05:00"
    assert booking["name"] == "Maria Garcia"


def test_no_at_the_read_back_asks_what_to_change(assistant, caller):
    assistant.say(caller, "i want to book a beard trim for friday at 11 am")
    assistant.say(caller, "sam o'brien")
    said = joined(assistant.say(caller, "sam at example dot com"))
    assert "Sam O'Brien, beard trim, Friday, December 4th at 11 AM" in said

    assert "What would you like to change" in joined(assistant.say(caller, "no"))
    said = joined(assistant.say(caller, "the time"))
    assert "What time would you like on Friday, December 4th?" in said
    said = joined(assistant.say(caller, "half past eleven"))
    assert "Friday, December 4th at 11:30 AM" in said
    code = spoken_code(assistant.say(caller, "yes"))
    assert row(assistant, code)["start"] == "2026-12-04T11:30:00-05:00"


def test_closed_days_and_times_outside_hours_are_refused_with_alternatives(assistant, caller):
    assistant.say(caller, "i'd like to book a haircut")
    assistant.say(caller, "lee chan")
    assistant.say(caller, "lee@example.com")
    said = joined(assistant.say(caller, "sunday"))
    # A closed day comes with the nearest open days, and the short question after them.
    assert said == (
        "We're closed on Sundays, but the nearest open days are Saturday, December 5th and "
        "Tuesday, December 8th. Which of those would you like?"
    )

    assistant.say(caller, "wednesday")
    said = joined(assistant.say(caller, "at 8 pm"))
    assert said == (
        "We close at 6 PM on Wednesdays, but I can do 4:45 PM, 5 PM or 5:15 PM. "
        "Which of those would you like?"
    )
    # Nothing is stored before the caller says yes.
    assert all(b["name"] != "Lee Chan" for b in assistant.bookings())


def test_a_taken_slot_is_refused_for_the_next_caller(assistant, caller):
    first, second = caller + "-a", caller + "-b"
    assistant.say(first, "book a colour on wednesday december 16th at 10 am")
    assistant.say(first, "ann lee")
    assistant.say(first, "ann@example.com")
    spoken_code(assistant.say(first, "yes"))

    assistant.say(second, "book a haircut on wednesday december 16th")
    assistant.say(second, "bo chen")
    assistant.say(second, "bo@example.com")
    said = joined(assistant.say(second, "eleven am"))
    assert "already taken" in said and "I can do" in said, said


def test_a_spelled_email_and_a_time_given_with_the_day(assistant, caller):
    assistant.say(caller, "i'd like to book a blow dry")
    assistant.say(caller, "it's jon li")
    said = joined(assistant.say(caller, "j o n dot l i at example dot com"))
    assert "What day" in said
    said = joined(assistant.say(caller, "friday december 18th first thing in the morning"))
    assert (
        "Jon Li, blow-dry, Friday, December 18th at 9 AM, confirmation to jon.li@example.com, "
        "spelled J O N dot L I." in said
    )
    code = spoken_code(assistant.say(caller, "yes"))
    assert row(assistant, code)["email"] == "jon.li@example.com"
