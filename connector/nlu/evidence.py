"""An NLU component after DIET: an intent that ends or diverts the conversation needs words
that say so (the cue table in common/cues.py).

DIET ranks every intent; this component keeps the best-ranked one that has its evidence, so
"Victor Taylor" classified as `human_handoff` becomes `inform`, and "i want a haircut tomorrow
at 3 my name is jane doe" classified as `ask_question` becomes `book_appointment`. Rules,
stories, forms and `rasa test` all see the corrected label. It runs after the
FallbackClassifier: an uncertain line stays `nlu_fallback` unless its words name a task.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from common.cues import choose_intent

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class WordsAsEvidence(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> WordsAsEvidence:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._correct(message)
        return messages

    @staticmethod
    def _correct(message: Message) -> None:
        intent = message.get(INTENT) or {}
        ranking = message.get(INTENT_RANKING_KEY) or []
        text = message.get(TEXT) or ""
        if not ranking or not intent.get(INTENT_NAME_KEY):
            return
        pairs = [(r.get(INTENT_NAME_KEY), r.get("confidence", 0.0)) for r in ranking]
        chosen = choose_intent(text, pairs)
        if chosen is None or chosen == intent[INTENT_NAME_KEY]:
            return
        confidence = next((c for name, c in pairs if name == chosen), 0.0)
        if chosen not in {name for name, _ in pairs}:
            confidence = intent.get("confidence", 0.0)  # a task the words name, unranked
        # The label only, never the caller's words: they may hold a name or an email.
        logger.info("words as evidence: %s -> %s", intent[INTENT_NAME_KEY], chosen)
        message.set(INTENT, {INTENT_NAME_KEY: chosen, "confidence": confidence}, add_to_output=True)
        reordered = sorted(ranking, key=lambda r: r.get(INTENT_NAME_KEY) != chosen)
        message.set(INTENT_RANKING_KEY, reordered, add_to_output=True)
