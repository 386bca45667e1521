"""Bookings made straight in a bookings database, as if booked on an earlier call."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from actions.storage.bookings import Booking, BookingStore


def seed(
    store: BookingStore,
    name: str,
    email: str,
    when: datetime,
    service: str = "Haircut",
    minutes: int = 45,
    phone: str | None = None,
) -> Booking:
    """A confirmed booking of `service` from `when`, `minutes` long."""
    return store.book(
        reference=uuid.uuid4().hex,
        name=name,
        email=email,
        phone=phone,
        service=service,
        start=when,
        end=when + timedelta(minutes=minutes),
        slot_minutes=15,
        capacity=1,
    )
