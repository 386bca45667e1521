"""The reschedule and cancel forms started by a switch from the booking form: Rasa leaves the
booking form's `requested_slot` behind, and the new form must start as a new task (found by the
socket fuzz, tests/faults/test_fuzz.py: "actually i want to move my booking" while the booking
form asked for the name made validate_reschedule_form fail with an AttributeError)."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue.manage_forms import ValidateCancelForm, ValidateRescheduleForm
from actions.storage import bookings as store_module

DOMAIN = {
    "forms": {
        "reschedule_form": {
            "required_slots": [
                "lookup_email",
                "verified_email",
                "selected_booking",
                "booking_date",
                "booking_time",
                "reschedule_confirmed",
            ]
        },
        "cancel_form": {
            "required_slots": [
                "lookup_email",
                "verified_email",
                "selected_booking",
                "cancel_confirmed",
            ]
        },
    }
}


@pytest.fixture(autouse=True)
def bookings_db(monkeypatch, sqlite_url):
    monkeypatch.setenv("BOOKING_DB_URL", sqlite_url)
    monkeypatch.setenv("ASSISTANT_NOW", "2026-12-01T09:00")
    monkeypatch.delenv("BUSINESS_PROFILE", raising=False)
    yield
    store = store_module._stores.pop(sqlite_url, None)
    if store is not None:
        store.dispose()


def switched(form: str, text: str, intent: str, requested: str, **slots) -> Tracker:
    """The tracker as the booking form left it, the caller now asking for another task."""
    values = {
        "service": "Haircut",
        "customer_name": "Dana White",
        "email": None,
        "booking_date": None,
        "booking_time": None,
        "selected_booking": None,
        "lookup_email": None,
        "verified_email": None,
        "requested_slot": requested,
        **slots,
    }
    message = {"text": text, "intent": {"name": intent, "confidence": 0.99}}
    return Tracker("caller-1", values, message, [], False, None, {"name": form}, "action_listen")


def run(action, tracker: Tracker) -> dict:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return {e["name"]: e["value"] for e in events if e["event"] == SlotSet("x").get("event")}


def test_a_switch_to_rescheduling_mid_booking_starts_a_new_task():
    tracker = switched(
        "reschedule_form",
        "actually i want to move my booking",
        "reschedule_appointment",
        requested="customer_name",
    )
    slots = run(ValidateRescheduleForm(), tracker)  # must not raise AttributeError
    assert slots.get("selected_booking", "unset") is None  # the new task's choices are reset
    assert "customer_name" not in slots  # the booking form's question is not this form's


def test_a_switch_to_cancelling_keeps_the_email_already_given():
    tracker = switched(
        "cancel_form",
        "actually i want to cancel instead",
        "cancel_appointment",
        requested="booking_date",
        email="dana@example.com",
    )
    slots = run(ValidateCancelForm(), tracker)
    assert slots["lookup_email"] == "dana@example.com"  # not asked for again
