"""The whole conversation over REST: reschedule, cancel, questions, stop, switch, corrections."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from actions.storage.bookings import BookingStore

TZ = ZoneInfo("America/New_York")


def joined(lines: list[str]) -> str:
    return " ".join(lines)


@pytest.fixture
def store(assistant):
    store = BookingStore(assistant.env["BOOKING_DB_URL"])
    yield store
    store.dispose()


def seed(store: BookingStore, name: str, email: str, when: datetime, service="Haircut", minutes=45):
    return store.book(
        reference=uuid.uuid4().hex,
        name=name,
        email=email,
        phone=None,
        service=service,
        start=when,
        end=when + timedelta(minutes=minutes),
        slot_minutes=15,
        capacity=1,
    )


def test_reschedule_keeps_the_booking_and_its_code(assistant, caller, store):
    booking = seed(store, "Nora Quinn", "nora@example.com", datetime(2026, 12, 9, 10, tzinfo=TZ))
    assert "email" in joined(assistant.say(caller, "i need to move my appointment"))
    said = joined(assistant.say(caller, "nora at example dot com"))
    assert "name on the booking" in said
    said = joined(assistant.say(caller, "nora quinn"))
    assert "What day would you like to move it to?" in said
    assistant.say(caller, "thursday december 10th")
    said = joined(assistant.say(caller, "at 11 am"))
    assert (
        "So I'll move your haircut on Wednesday, December 9th at 10 AM to "
        "Thursday, December 10th at 11 AM. Shall I go ahead?" in said
    )
    said = joined(assistant.say(caller, "yes"))
    assert "still " + " ".join(booking.code) in said
    moved = store.get(booking.code)
    assert moved.start.astimezone(TZ) == datetime(2026, 12, 10, 11, tzinfo=TZ)
    assert moved.status == "confirmed" and moved.reference == booking.reference


def test_cancel_refuses_a_wrong_name_then_cancels_with_the_right_one(assistant, caller, store):
    booking = seed(store, "Omar Price", "omar@example.com", datetime(2026, 12, 11, 9, tzinfo=TZ))
    assistant.say(caller, "i want to cancel my appointment")
    assistant.say(caller, "omar@example.com")
    said = joined(assistant.say(caller, "john smith"))
    assert "doesn't match" in said
    assert "December 11th" not in said  # nothing about the booking before the check
    assert store.get(booking.code).status == "confirmed"
    said = joined(assistant.say(caller, "omar price"))
    assert "That's your haircut on Friday, December 11th at 9 AM. Shall I cancel it?" in said
    said = joined(assistant.say(caller, "yes"))
    assert "is cancelled" in said and "anything else" in said
    assert store.get(booking.code).status == "cancelled"


def test_schedule_questions_come_from_the_calendar(assistant, caller, store):
    seed(store, "Pat Kim", "pat@example.com", datetime(2026, 12, 12, 9, tzinfo=TZ), minutes=90)
    said = joined(assistant.say(caller, "what do you have on saturday december 12th"))
    assert "On Saturday, December 12th I have 10:30 AM" in said, said
    said = joined(assistant.say(caller, "when's your next opening"))
    assert "The next openings are today at 10 AM" in said, said

    assistant.say(caller, "when is my appointment")
    assistant.say(caller, "pat at example dot com")
    said = joined(assistant.say(caller, "pat kim"))
    assert "Saturday, December 12th at 9 AM" in said and "confirmation code is" in said


def test_a_question_mid_booking_is_answered_and_the_form_re_asks(assistant, caller):
    assistant.say(caller, "i'd like to book an appointment")
    said = assistant.say(caller, "how much is a colour")
    assert "$85" in said[0]
    assert said[-1].startswith("Which service would you like?")
    assert "your name" in joined(assistant.say(caller, "a colour then"))


def test_stop_leaves_the_form_and_forgets_its_values(assistant, caller):
    assistant.say(caller, "i want a haircut on friday")
    said = joined(assistant.say(caller, "never mind"))
    assert "stopped" in said and "anything else" in said
    slots = assistant.tracker(caller)["slots"]
    assert slots["booking_date"] is None and slots["service"] is None
    assert assistant.tracker(caller)["active_loop"] == {} or not assistant.tracker(caller)[
        "active_loop"
    ].get("name")


def test_switch_from_booking_to_cancelling(assistant, caller):
    assistant.say(caller, "i'd like to book an appointment")
    said = joined(assistant.say(caller, "actually i want to cancel my appointment instead"))
    assert "What's the email address the booking is under?" in said


def test_a_correction_mid_form_replaces_the_value(assistant, caller):
    assistant.say(caller, "i want to book a blow dry")
    assistant.say(caller, "kim lee")
    assistant.say(caller, "kim at example dot com")
    said = joined(assistant.say(caller, "no sorry my email is kim dot lee at example dot com"))
    assert "What day" in said
    assistant.say(caller, "saturday")
    said = joined(assistant.say(caller, "eleven am"))
    assert "confirmation to kim.lee@example.com" in said


def test_three_bad_values_offer_a_person(assistant, caller):
    assistant.say(caller, "i'd like to book a haircut")
    assistant.say(caller, "ann moss")
    said = [joined(assistant.say(caller, "blah blah")) for _ in range(3)]
    assert "talk to a person" not in said[0] + said[1]
    assert "talk to a person" in said[2]


def action_server(assistant, action: str, text: str, active_loop: str | None = None) -> dict:
    """Call the real action server as Rasa does, with a minimal tracker."""
    body = {
        "next_action": action,
        "sender_id": "flags",
        "tracker": {
            "sender_id": "flags",
            "slots": {},
            "latest_message": {"text": text, "intent": {}},
            "events": [],
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{assistant.action_port}/webhook",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_goodbye_and_transfer_carry_their_flags_for_the_channel(assistant):
    goodbye = action_server(assistant, "action_goodbye", "bye")["responses"][0]
    assert goodbye["text"].endswith("Goodbye!") and goodbye["end_call"] is True
    transfer = action_server(assistant, "action_transfer", "a person please")["responses"][0]
    assert transfer["transfer_number"] == "+17185550143"
    assert transfer["no_interruption_allowed"] is True
    assert re.search(r"put you through", transfer["text"])


def test_say_that_again_repeats_the_last_answer(assistant, caller):
    first = assistant.say(caller, "where are you")
    assert assistant.say(caller, "sorry can you say that again") == first


def test_with_several_bookings_the_caller_picks_one(assistant, caller, store):
    seed(store, "Rita Ames", "rita@example.com", datetime(2026, 12, 15, 9, tzinfo=TZ))
    colour = seed(
        store,
        "Rita Ames",
        "rita@example.com",
        datetime(2026, 12, 17, 10, tzinfo=TZ),
        service="Colour",
        minutes=90,
    )
    assistant.say(caller, "i need to cancel my appointment")
    assistant.say(caller, "rita at example dot com")
    said = joined(assistant.say(caller, "rita ames"))
    assert "I see 2 bookings" in said and "colour on Thursday, December 17th at 10 AM" in said
    said = joined(assistant.say(caller, "the colour"))
    assert "That's your colour on Thursday, December 17th at 10 AM. Shall I cancel it?" in said
    assistant.say(caller, "yes")
    assert store.get(colour.code).status == "cancelled"
    assert [b.status for b in store.list_bookings(email="rita@example.com")].count("confirmed") == 1
