"""The email sweep through the live bot: generated addresses (tests/actions/spoken/
email_sweep.py), each said as the answer to the booking form's email question.

A case is right when the tracker's `email` slot holds the address meant and the bot's next line
is the form's next question (the day): no re-ask, no transfer, no answer to a question nobody
asked. Target >= 99 %; the rate and the misses are printed. Each case starts from a copy of a
conversation that has reached the email question (as test_form_retention.py does), so a case
costs one turn.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from actions.dialogue.booking_form import QUESTIONS
from tests.actions.spoken.email_sweep import Case, cases
from tests.e2e.test_form_retention import put_events, reached, report

BEFORE = ["i'd like to book a haircut", "jane doe"]


def test_generated_addresses_are_taken_as_meant(assistant, capsys):
    start = reached(assistant, BEFORE)
    assert assistant.tracker_from(start)["requested_slot"] == "email", start[-3:]
    generated = cases()

    def one(case: Case) -> str | None:
        sender = f"email-sweep-{uuid.uuid4().hex[:8]}"
        put_events(assistant, sender, start)
        said = assistant.say(sender, case.said)
        email = assistant.rest_tracker(sender)["slots"].get("email")
        if email == case.address and said == [QUESTIONS["booking_date"]]:
            return None
        return f"{case.said!r} (meant {case.address}) -> email={email!r} said={said}"

    # Two at a time: the servers take turns of different conversations side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        misses = [miss for miss in pool.map(one, generated) if miss]
    rate = (len(generated) - len(misses)) / len(generated)
    report(
        capsys,
        f"email sweep (live): {len(generated) - len(misses)}/{len(generated)} taken as meant "
        f"({rate:.1%}; target >= 99%)" + "".join(f"\n  miss: {m}" for m in misses),
    )
    assert len(generated) >= 300
    assert rate >= 0.99, "\n".join(misses)
