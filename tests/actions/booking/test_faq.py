"""Questions answered from the business profile (the fallback's no-key answers)."""

from __future__ import annotations

import pytest

from actions.booking.faq import answer
from actions.booking.new_booking import service_names
from actions.booking.profile import load_profile

PROFILE = load_profile()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how much is a colour", "A colour is $85 and takes an hour and a half."),
        ("do you do beard trims", "A beard trim is $15"),
        ("what services do you offer", "We offer haircut $40, colour $85"),
        ("where are you", "We're at 214 Atlantic Avenue"),
        ("is there parking", "parking"),
        ("how can i pay", "credit"),
        ("what time do you close on saturday", "We're open Saturday 9 AM to 4 PM."),
        ("are you open on sunday", "We're closed on Sundays."),
        ("when are you open", "Our hours are Tuesday 9 AM to 6 PM"),
    ],
)
def test_answers_come_from_the_profile(question, expected):
    assert expected in answer(PROFILE, question, service_names(PROFILE))


@pytest.mark.parametrize("question", ["what is the meaning of life", "who won the game"])
def test_no_answer_is_invented(question):
    assert answer(PROFILE, question, service_names(PROFILE)) is None


def test_an_edited_profile_changes_the_answer_without_retraining(tmp_path):
    from dataclasses import replace
    from decimal import Decimal

    cheaper = replace(PROFILE.services[1], price=Decimal("70"))
    edited = replace(PROFILE, services=(PROFILE.services[0], cheaper, *PROFILE.services[2:]))
    assert "$70" in answer(edited, "how much is a colour", service_names(edited))
