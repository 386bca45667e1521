"""Gemini stalls (accepts the request, sends nothing) on a question in the middle of a booking: the
watchdog's holding line goes out at 1.5 s, the FAQ answer follows once the client gives up on
Gemini (GEMINI_FIRST_CHUNK_TIMEOUT=2.5 s on the `gemini` pair, so the order is fixed), the form
asks its question again, and the call goes on: the next turns fill the form and the booking
completes.
"""

from __future__ import annotations

from connector.retell.nudges import HOLDING_LINE
from tests.e2e.calls import code_in, open_call, run


def test_a_stalled_gemini_gets_the_holding_line_then_the_faq_answer_and_the_call_goes_on(
    assistant,
):
    gemini = assistant.gemini

    async def call():
        sim = await open_call(assistant)
        try:
            assert "your name" in (await sim.say("i'd like to book a haircut")).text
            assert "email" in (await sim.say("nora quinn")).text
            gemini.stall()
            answer = await sim.say("where are you located?")
            gemini.script(["Yes, there's free parking ", "behind the salon. "])
            parking = (await sim.say("is there parking?")).text  # Gemini is back
            await sim.say("nora at example dot com")
            await sim.say("thursday")
            await sim.say("noon")
            done = (await sim.say("yes")).text
            return answer, parking, done, sim.fake
        finally:
            await sim.close()

    answer, parking, done, fake = run(call())
    first, last = answer.frame_times[0], answer.frame_times[-1]
    assert answer.chunks[0] == HOLDING_LINE + " ", answer.chunks
    assert 1.2 < first - answer.requested_at < 2.3  # the watchdog, before Gemini's timeout
    assert last - answer.requested_at >= 2.4  # the answer came after the client gave up
    rest = "".join(answer.chunks[1:]).strip()
    assert "Atlantic Avenue" in rest  # the profile's address: the FAQ answer
    assert rest.endswith("What email address should I send the confirmation to?")  # re-asked
    assert answer.complete
    assert gemini.wait_for(lambda g: 0 in g.cancelled, timeout=5)  # the stalled stream was left
    assert parking.startswith("Yes, there's free parking behind the salon.")
    assert "You're all set for Thursday, December 3rd at noon" in done, done
    code = code_in(done)
    assert [b["name"] for b in assistant.bookings() if b["code"] == code] == ["Nora Quinn"]
    assert not fake.errors, fake.errors
