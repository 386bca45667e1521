"""The manage forms' validation actions, run as Rasa runs them, on a real SQLite bookings store.

A switch from the booking form starts a new task (found by the socket fuzz: Rasa leaves the
booking form's `requested_slot` behind). Then the identification glue: the next question is
chosen here, the replies before proof do not depend on what exists, failed proofs are counted
per call and recorded per booking, and the third ends the tries of the call.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import caller_bookings as cb
from actions.dialogue.manage_forms import (
    ValidateCancelForm,
    ValidateLookupForm,
    ValidateRescheduleForm,
)
from actions.storage import bookings as store_module
from actions.storage import proofs
from common import identity
from tests.bookings import seed as seed_into

TZ = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 1, 9, tzinfo=TZ)
STEPS = ["lookup_email", "lookup_day", "lookup_name", "proven_booking"]
DOMAIN = {
    "forms": {
        "reschedule_form": {
            "required_slots": [*STEPS, "booking_date", "booking_time", "reschedule_confirmed"]
        },
        "cancel_form": {"required_slots": [*STEPS, "cancel_confirmed"]},
        "lookup_form": {"required_slots": STEPS},
    }
}
SECRET = "test-channel-secret"


@pytest.fixture(autouse=True)
def bookings_db(monkeypatch, sqlite_url):
    monkeypatch.setenv("BOOKING_DB_URL", sqlite_url)
    monkeypatch.setenv("ASSISTANT_NOW", "2026-12-01T09:00")
    monkeypatch.setenv("CHANNEL_SECRET", SECRET)
    monkeypatch.delenv("BUSINESS_PROFILE", raising=False)
    yield
    store = store_module._stores.pop(sqlite_url, None)
    if store is not None:
        store.dispose()


def seed(name, email, when, service="Haircut", phone=None):
    return seed_into(store_module.store_from_env(), name, email, when, service, phone=phone)


def tracker_for(
    form: str, text: str, intent: str = "inform", phone: str | None = None, **slots
) -> Tracker:
    values = {
        "service": None,
        "customer_name": None,
        "email": None,
        "booking_date": None,
        "booking_time": None,
        "lookup_email": None,
        "lookup_day": None,
        "lookup_name": None,
        "proven_booking": None,
        "failed_proofs": None,
        "requested_slot": None,
        **slots,
    }
    sender = "call-1"
    metadata = {"caller": identity.claim(SECRET.encode(), sender, phone)} if phone else {}
    message = {"text": text, "intent": {"name": intent, "confidence": 0.99}}
    events = [{"event": "user", "text": text, "metadata": metadata}]
    loop = {"name": form} if slots.get("requested_slot") else {}
    return Tracker(sender, values, message, events, False, None, loop, "action_listen")


def run(action, tracker: Tracker) -> tuple[dict, list[str], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    return slots, [m["text"] for m in dispatcher.messages], events


def test_a_switch_to_rescheduling_mid_booking_starts_a_new_task():
    tracker = tracker_for(
        "reschedule_form",
        "actually i want to move my booking",
        "reschedule_appointment",
        requested_slot="customer_name",
        customer_name="Dana White",
    )
    slots, _, _ = run(ValidateRescheduleForm(), tracker)  # must not raise AttributeError
    assert slots.get("booking_date", "unset") is None  # the new task's choices are reset
    assert "customer_name" not in slots  # the booking form's question is not this form's


def test_a_switch_to_cancelling_keeps_the_email_already_given_as_a_search_key_only():
    tracker = tracker_for(
        "cancel_form",
        "actually i want to cancel instead",
        "cancel_appointment",
        requested_slot="booking_date",
        email="dana@example.com",
    )
    slots, said, _ = run(ValidateCancelForm(), tracker)
    assert slots["lookup_email"] == "dana@example.com"  # not asked for again
    assert slots["requested_slot"] == "lookup_day" and not said  # but nothing is proven


def offers_team(events: list[dict]) -> bool:
    return any(e["event"] == "followup" and e["name"] == "action_offer_team" for e in events)


def step(form_action, form, text, **slots):
    return run(form_action, tracker_for(form, text, **slots))


@pytest.mark.parametrize("email", ["nora@example.com", "nobody@example.com"])
def test_an_email_with_or_without_bookings_gets_the_same_next_question(email):
    seed("Nora Quinn", "nora@example.com", datetime(2026, 12, 9, 10, tzinfo=TZ))
    slots, said, _ = step(
        ValidateCancelForm(),
        "cancel_form",
        email.replace("@", " at "),
        requested_slot="lookup_email",
    )
    assert said == [] and slots["requested_slot"] == "lookup_day"
    assert slots["lookup_email"] == email


@pytest.mark.parametrize("day", ["wednesday december 9th", "thursday december 10th"])
def test_a_day_with_or_without_bookings_gets_the_same_next_question(day):
    seed("Nora Quinn", "nora@example.com", datetime(2026, 12, 9, 10, tzinfo=TZ))
    slots, said, _ = step(
        ValidateCancelForm(),
        "cancel_form",
        day,
        requested_slot="lookup_day",
        lookup_email="nora@example.com",
    )
    assert said == [] and slots["requested_slot"] == "lookup_name"


def failures_of(code: str) -> int:
    store = store_module.store_from_env()
    return len(store.read(lambda conn: proofs.recent(conn, [code], NOW))[code])


def test_a_wrong_name_fails_alike_and_is_recorded_only_against_a_real_booking():
    nora = seed("Nora Quinn", "nora@example.com", datetime(2026, 12, 9, 10, tzinfo=TZ))
    heard = []
    for day in ("2026-12-09", "2026-12-10"):
        slots, said, _ = step(
            ValidateCancelForm(),
            "cancel_form",
            "john smith",
            requested_slot="lookup_name",
            lookup_email="nora@example.com",
            lookup_day=day,
        )
        heard.append(said)
        assert slots["requested_slot"] == "lookup_day" and slots["failed_proofs"] == 1
    assert heard[0] == heard[1] == [cb.NO_MATCH]
    assert failures_of(nora.code) == 1  # only the attempt on its day


def test_the_name_and_the_day_prove_one_booking():
    nora = seed("Nora Quinn", "nora@example.com", datetime(2026, 12, 9, 10, tzinfo=TZ))
    slots, said, _ = step(
        ValidateCancelForm(),
        "cancel_form",
        "nora quinn",
        requested_slot="lookup_name",
        lookup_email="nora@example.com",
        lookup_day="2026-12-09",
    )
    assert said == [] and slots["proven_booking"] == nora.code
    assert slots["requested_slot"] == "cancel_confirmed"


def test_the_third_failed_proof_of_a_call_ends_the_tries():
    slots, said, events = step(
        ValidateLookupForm(),
        "lookup_form",
        "john smith",
        requested_slot="lookup_name",
        lookup_email="x@example.com",
        lookup_day="2026-12-09",
        failed_proofs=2.0,
    )
    assert said == [cb.NO_MATCH]
    assert slots["requested_slot"] is None and slots["failed_proofs"] == 3
    assert offers_team(events)


def test_after_three_failed_proofs_even_the_right_code_is_refused():
    nora = seed("Nora Quinn", "nora@example.com", datetime(2026, 12, 9, 10, tzinfo=TZ))
    for requested in (None, "lookup_day"):
        slots, said, events = step(
            ValidateCancelForm(),
            "cancel_form",
            " ".join(nora.code),
            requested_slot=requested,
            lookup_email="nora@example.com",
            failed_proofs=3.0,
        )
        assert not slots.get("proven_booking") and said == []
        assert offers_team(events)


def test_a_recognised_caller_is_asked_for_the_day_whether_or_not_the_number_has_bookings():
    seed(
        "Maria Garcia",
        "maria@example.com",
        datetime(2026, 12, 5, 12, tzinfo=TZ),
        phone="+17185550102",
    )
    for phone in ("+17185550102", "+17185550199"):
        slots, said, _ = step(ValidateCancelForm(), "cancel_form", "cancel it", phone=phone)
        assert said == [] and slots["requested_slot"] == "lookup_day"
        assert slots.get("lookup_email") is None


def test_a_recognised_number_and_the_day_and_name_prove_its_booking():
    maria = seed(
        "Maria Garcia",
        "maria@example.com",
        datetime(2026, 12, 5, 12, tzinfo=TZ),
        phone="+17185550102",
    )
    slots, _, _ = step(
        ValidateCancelForm(),
        "cancel_form",
        "maria garcia",
        phone="+17185550102",
        requested_slot="lookup_name",
        lookup_day="2026-12-05",
    )
    assert slots["proven_booking"] == maria.code


def test_a_code_reaches_its_own_booking_from_a_number_with_other_bookings():
    seed("Ola Berg", "ola@example.com", datetime(2026, 12, 4, 14, tzinfo=TZ), phone="+17185550104")
    other = seed("Ola Berg", "ola.b@example.com", datetime(2026, 12, 8, 10, tzinfo=TZ))
    slots, said, _ = step(
        ValidateCancelForm(),
        "cancel_form",
        " ".join(other.code),
        phone="+17185550104",
        requested_slot="lookup_day",
    )
    assert said == [] and slots["proven_booking"] == other.code


def test_a_line_about_another_booking_clears_the_proof():
    mine = seed("Eve Mallory", "tom.taylor@example.com", datetime(2026, 12, 4, 10, tzinfo=TZ))
    seed("Tom Taylor", "tom.taylor@example.com", datetime(2026, 12, 5, 11, tzinfo=TZ))
    slots, said, _ = step(
        ValidateCancelForm(),
        "cancel_form",
        "the one on saturday",
        requested_slot="cancel_confirmed",
        lookup_email="tom.taylor@example.com",
        proven_booking=mine.code,
    )
    assert slots["proven_booking"] is None and slots["lookup_day"] == "2026-12-05"
    assert slots["requested_slot"] == "lookup_name" and said == []


def test_a_wrong_code_is_a_failed_proof_said_like_any_other():
    slots, said, _ = step(
        ValidateCancelForm(),
        "cancel_form",
        "k 7 p 2 q",
        requested_slot="lookup_day",
        lookup_email="nora@example.com",
    )
    assert said == [cb.NO_MATCH] and slots["failed_proofs"] == 1
    assert slots["requested_slot"] == "lookup_day"


def test_a_code_shaped_answer_to_the_new_time_is_the_time_not_another_booking():
    mine = seed("Vic Stone", "vic@example.com", datetime(2026, 12, 23, 9, tzinfo=TZ))
    slots, _, _ = step(
        ValidateRescheduleForm(),
        "reschedule_form",
        "ten am",  # TENAM could be a code
        requested_slot="booking_time",
        lookup_email="vic@example.com",
        proven_booking=mine.code,
        booking_date="2026-12-22",
    )
    assert "proven_booking" not in slots and slots["booking_time"] == "10:00"
