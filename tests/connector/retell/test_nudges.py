"""Reminders and "say again" lines, from the stored conversation (no Rasa turn)."""

from __future__ import annotations

from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from connector.retell import nudges


def test_a_reminder_repeats_the_pending_question():
    events = [
        UserUttered("i want a haircut"),
        BotUttered("Sure, a haircut."),
        BotUttered("What email address should I send the confirmation to?"),
        ActionExecuted("action_listen"),
    ]
    assert nudges.reminder_line(events) == (
        "Are you still there? What email address should I send the confirmation to?"
    )
    assert nudges.say_again_line(events) == (
        "Sorry, I didn't catch that. What email address should I send the confirmation to?"
    )


def test_the_question_is_the_last_one_of_our_last_reply():
    events = [
        BotUttered("Hi! How can I help?"),
        UserUttered("book me in"),
        BotUttered("Jane Doe, haircut, Wednesday at 2 PM. Shall I book it? It takes 45 minutes."),
    ]
    assert nudges.pending_question(events) == "Shall I book it?"


def test_without_a_question_pending_the_check_in_is_general():
    said_done = [UserUttered("yes"), BotUttered("You're all set. Your code is K 7 P 2 Q.")]
    assert nudges.reminder_line(said_done) == nudges.CHECK_IN
    assert nudges.say_again_line(said_done) == nudges.SAY_AGAIN
    # A question asked before the caller's last message is no longer pending.
    answered = [BotUttered("What day?"), UserUttered("friday")]
    assert nudges.pending_question(answered) is None
    assert nudges.reminder_line([]) == nudges.CHECK_IN
