"""The cue table: phrases that let a line end a call, leave a form or start a task."""

from __future__ import annotations

import pytest

from common import cues


@pytest.mark.parametrize(
    "name",
    [
        "ray person",
        "tim booker",
        "rose price",
        "gene page",
        "robin day",
        "victor taylor",
        "chase bailey",
        "bill human",
        "will staff",
        "john talk",
        "jane goodnight",
        "mark move",
        "dawn stopford",
        "april may",
        "ta thi lan",
        "long so",
        "drew scratch",
        "dale forward",
    ],
)
def test_a_name_holds_no_cue_phrase(name):
    assert cues.cued_intents(name) == set()
    assert not cues.question_shaped(name)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("can i talk to a person", "human_handoff"),
        ("put me through please", "human_handoff"),
        ("never mind", "stop"),
        ("forget it", "stop"),
        ("okay bye", "goodbye"),
        ("that's all thanks", "goodbye"),
        ("sorry say that again", "repeat"),
        ("cancel it", "cancel_appointment"),
        ("move it to friday", "reschedule_appointment"),
        ("i want a haircut tomorrow", "book_appointment"),
        ("when is my appointment", "ask_my_booking"),
        ("pass me over to someone", "human_handoff"),
        ("forget i said anything", "stop"),
        ("i don't wanna carry on", "stop"),
        ("cheerio then", "goodbye"),
        ("you're breaking up", "repeat"),
        ("run that by me again", "repeat"),
        ("scratch my booking for thursday", "cancel_appointment"),
        ("scrap tomorrow's haircut", "cancel_appointment"),
        ("please call off my haircut", "cancel_appointment"),
        ("i no longer need my appointment", "cancel_appointment"),
        ("take me off the list for saturday", "cancel_appointment"),
        ("my colour's on friday could we make it saturday", "reschedule_appointment"),
        ("my booking is on tuesday but i need wednesday instead", "reschedule_appointment"),
        ("could we do a later time for my appointment", "reschedule_appointment"),
        ("i'd like to postpone my colour", "reschedule_appointment"),
        ("push back my haircut a week", "reschedule_appointment"),
        ("bring the booking forward a day", "reschedule_appointment"),
        ("so i need to see someone for a colour", "book_appointment"),
        ("sign me up for a blow dry", "book_appointment"),
    ],
)
def test_a_way_out_holds_its_cue(text, intent):
    assert intent in cues.cued_intents(text)


@pytest.mark.parametrize(
    ("text", "shaped"),
    [
        ("how much is a colour", True),
        ("is friday free", True),
        ("do you take cash", True),
        ("can i book for friday", True),
        ("will it be long", True),
        ("any openings", True),
        ("how about thursday", False),
        ("what about 3", False),
        ("will smith", False),
        ("can yilmaz", False),
        ("do van an", False),
        ("jane doe", False),
    ],
)
def test_question_shape(text, shaped):
    assert cues.question_shaped(text) is shaped


@pytest.mark.parametrize(
    ("text", "ranking", "chosen"),
    [
        ("victor taylor", [("human_handoff", 0.9), ("inform", 0.05)], "inform"),
        ("robin day", [("goodbye", 0.8), ("deny", 0.1), ("inform", 0.05)], "inform"),
        ("never mind", [("stop", 0.9), ("inform", 0.05)], "stop"),
        (
            "i want a haircut tomorrow at 3 my name is jane doe",
            [("ask_question", 0.6), ("book_appointment", 0.3)],
            "book_appointment",
        ),
        ("how much is a haircut tomorrow at 3", [("ask_question", 0.9)], "ask_question"),
        (
            "how much is a colour and can i book one saturday",
            [("book_appointment", 0.7), ("ask_question", 0.2)],
            "ask_question",
        ),
        ("can i talk to someone", [("ask_question", 0.7)], "human_handoff"),
        ("yes book it", [("affirm", 0.9)], "affirm"),
        # A question is never a stop or a goodbye.
        ("what's the nearest subway stop", [("ask_question", 0.9)], "ask_question"),
        (
            "scratch my booking for thursday",
            [("stop", 0.6), ("cancel_appointment", 0.3)],
            "cancel_appointment",
        ),
        (
            "so i need to see someone for a colour",
            [("human_handoff", 0.6), ("book_appointment", 0.3)],
            "book_appointment",
        ),
        (
            "my booking is on tuesday but i need wednesday instead",
            [("nlu_fallback", 0.4)],
            "reschedule_appointment",
        ),
        # A changed value inside a form stays a value.
        ("friday instead", [("inform", 0.9)], "inform"),
        ("make it four instead", [("inform", 0.9)], "inform"),
        ("the haircut at four instead", [("inform", 0.9)], "inform"),
        ("my haircut is at four", [("inform", 0.9)], "inform"),
        ("", [], None),
    ],
)
def test_the_ranking_filtered_by_the_words(text, ranking, chosen):
    assert cues.choose_intent(text, ranking) == chosen


def test_a_task_asked_for_after_a_question():
    assert cues.requested_task("how much is a colour, and can I book one Saturday") == (
        "book_appointment"
    )
    assert cues.requested_task("where are you, and can i cancel my appointment") == (
        "cancel_appointment"
    )
    assert cues.requested_task("what's your cancellation policy") is None
    assert cues.requested_task("how much is a haircut tomorrow at 3") is None


def test_cancel_it_names_no_booking_made_before():
    assert not cues.refers_to_existing("cancel it")
    assert cues.refers_to_existing("cancel my appointment on friday")
    assert cues.refers_to_existing("cancel the one i booked for saturday")


def test_a_long_line_is_read_up_to_the_limit():
    line = "never mind " + "blah " * 10_000
    assert len(cues.plain(line)) <= cues.MAX_CHARS
    assert cues.holds_cue("stop", line)


@pytest.mark.parametrize(
    ("text", "task"),
    [
        ("wait no sorry I do want to book after all", "book_appointment"),
        ("no but can I also cancel my other one", "cancel_appointment"),
        ("no actually could i move my appointment to friday", "reschedule_appointment"),
        ("nope, hang on, i'd like to book a trim", "book_appointment"),
        ("no thanks", None),
        ("no don't book it", None),
        ("no i don't want to cancel", None),
        ("nothing else", None),
        ("no", None),
        ("book it", None),  # no lead-in: the classifier's label stands
    ],
)
def test_a_request_after_no_or_wait_wins(text, task):
    assert cues.request_after_lead_in(text) == task
    if task:
        assert cues.choose_intent(text, [("deny", 0.9), ("stop", 0.05)]) == task


@pytest.mark.parametrize("text", ["no thanks", "no thank you", "nope thanks"])
def test_no_thanks_is_a_no(text):
    assert cues.choose_intent(text, [("thanks", 0.8), ("deny", 0.2)]) == "deny"


def test_yes_book_it_stays_a_yes():
    assert cues.choose_intent("yes book it", [("affirm", 0.9)]) == "affirm"


@pytest.mark.parametrize(
    ("text", "correction"),
    [
        ("actually can we make it saturday instead", True),
        ("how about 3 pm", True),
        ("change the day to friday", True),
        ("is saturday free", False),
        ("what do you have on saturday", False),
    ],
)
def test_a_change_asked_for_is_told_from_a_question(text, correction):
    assert cues.corrects(text) is correction


def test_a_change_said_with_the_code_is_the_change():
    text = "hi i need to cancel, my confirmation code is k 7 p 2 q"
    assert cues.choose_intent(text, [("ask_my_booking", 0.6), ("cancel_appointment", 0.3)]) == (
        "cancel_appointment"
    )
    asked = "when is my appointment, the code is k 7 p 2 q"
    assert cues.choose_intent(asked, [("ask_my_booking", 0.9)]) == "ask_my_booking"
