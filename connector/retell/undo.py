"""Undo a caller message whose reply the caller never heard (barge-in), before its repeat.

Rasa's plain `UserUtteranceReverted` is not enough inside a form: replaying the events merges
consecutive form turns, so the revert goes back to the message that started the form. The recipe
(checked through the live bot: tests/e2e/test_retell_socket.py): under the conversation's lock,
compute the state just before the undone message from the events before it, append the revert,
re-apply every slot that differs and the active loop, append `action_listen` (without it no rule
matches the next message), and save. Side effects outside the tracker (a stored booking) stay: they
are idempotent on the booking reference, which the undo restores.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)


async def undo_last_message(agent: Any, sender_id: str, message_id: str) -> bool:
    """Revert the caller message `message_id` (the conversation's latest). True if undone."""
    processor = getattr(agent, "processor", None)
    if processor is None:
        return False
    async with agent.lock_store.lock(sender_id, wait_time_in_seconds=0.05):
        tracker = await processor.get_tracker(sender_id)
        events = list(tracker.events)
        index = next(
            (
                i
                for i in range(len(events) - 1, -1, -1)
                if isinstance(events[i], UserUttered) and events[i].message_id == message_id
            ),
            None,
        )
        if index is None:
            return False
        if any(isinstance(e, UserUttered) for e in events[index + 1 :]):
            return False  # a later message exists: not ours to undo
        if any(isinstance(e, UserUtteranceReverted) for e in events[index + 1 :]):
            return False  # Rasa already reverted it (its default fallback does)
        before = DialogueStateTracker.from_events(
            sender_id, events[:index], slots=list(tracker.slots.values())
        )
        tracker.update(UserUtteranceReverted())
        for name, slot in before.slots.items():
            if tracker.get_slot(name) != slot.value:
                tracker.update(SlotSet(name, slot.value))
        tracker.update(ActiveLoop(before.active_loop_name))
        tracker.update(ActionExecuted("action_listen"))
        await processor.save_tracker(tracker)
    logger.info("call %s: undid a turn the caller never heard", sender_id)
    return True
