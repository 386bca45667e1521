"""The turn rule's splitter and checks, without a server."""

from __future__ import annotations

import json

import pytest

from tests.e2e.turn_rule import check_turn, sentences, violations


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", []),
        ("Hi.", ["Hi."]),
        ("Hi there", ["Hi there"]),
        (
            "Hi, thanks for calling Bella Hair Studio. How can I help you today?",
            ["Hi, thanks for calling Bella Hair Studio.", "How can I help you today?"],
        ),
        (
            "The first free times are 9 AM, 9:15 AM or 10:45 AM. Which would you like?",
            ["The first free times are 9 AM, 9:15 AM or 10:45 AM.", "Which would you like?"],
        ),
        (
            "Jane Doe, haircut, Wednesday, December 2nd at 2 PM, confirmation to "
            "jane@example.com, spelled J A N E. Shall I book it?",
            [
                "Jane Doe, haircut, Wednesday, December 2nd at 2 PM, confirmation to "
                "jane@example.com, spelled J A N E.",
                "Shall I book it?",
            ],
        ),
        (
            "Your confirmation code is K 7 P 2 Q. Is there anything else I can help with?",
            ["Your confirmation code is K 7 P 2 Q.", "Is there anything else I can help with?"],
        ),
        (
            "It's $8.50 with Dr. Lee on St. Mark's Place.",
            ["It's $8.50 with Dr. Lee on St. Mark's Place."],
        ),
        ("Open at 9 a.m. on Fridays. Great!", ["Open at 9 a.m. on Fridays.", "Great!"]),
        ("Open until 6 p.m. Call us then.", ["Open until 6 p.m.", "Call us then."]),
        ("Wait... what? Really!", ["Wait...", "what?", "Really!"]),
        ('She said "yes." Then left.', ['She said "yes."', "Then left."]),
        (
            "Send it to jane.doe@mail.example.co.uk please",
            ["Send it to jane.doe@mail.example.co.uk please"],
        ),
        ("One moment, please. ", ["One moment, please."]),
        ("Sure!  Which day?\nOr a code?", ["Sure!", "Which day?", "Or a code?"]),
    ],
)
def test_sentences(text, expected):
    assert sentences(text) == expected


def test_three_sentences_pass_four_do_not():
    assert violations("One. Two? Three!") == []
    assert violations("One. Two? Three! Four.") == ["4 sentences in one turn (at most 3)"]


def test_a_sentence_said_twice_is_a_violation_whatever_its_case_and_punctuation():
    assert violations("Which day? OK. which  day.") == [
        "the sentence 'which  day.' is said twice in one turn"
    ]
    assert violations("Which day? Which time?") == []


def test_check_turn_raises_naming_the_turn_and_the_rule(monkeypatch):
    monkeypatch.delenv("TURN_RULE_REPORT", raising=False)
    check_turn("Fine. Thanks.", caller="hi")
    with pytest.raises(AssertionError) as raised:
        check_turn("A. B. C. D.", caller="tell me everything")
    message = str(raised.value)
    assert "4 sentences" in message and "tell me everything" in message and "A. B. C. D." in message


def test_the_report_mode_records_instead_of_raising(monkeypatch, tmp_path):
    report = tmp_path / "violations.jsonl"
    monkeypatch.setenv("TURN_RULE_REPORT", str(report))
    check_turn("Again. Again.", caller="say it")
    check_turn("Fine.", caller="ok")
    [entry] = [json.loads(line) for line in report.read_text().splitlines()]
    assert entry["caller"] == "say it" and entry["bot"] == "Again. Again."
    assert entry["rules"] == ["the sentence 'Again.' is said twice in one turn"]
    assert "test_the_report_mode_records_instead_of_raising" in entry["test"]
