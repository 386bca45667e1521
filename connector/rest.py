"""Rasa's REST channel with its conversations in a namespace of their own.

A REST client names its conversation (`sender`); the Retell channel names a call's conversation
after Retell's call id. Without a namespace, a REST message with `sender=<a call id>` would
continue that call, read its slots and act on its booking. Here every REST sender becomes
`rest:<sender>`, which no call id is, so REST can never reach a call (docs/trust.md).
Registered in rasa_project/credentials.yml under this class's path; its URL stays
/webhooks/rest/webhook.
"""

from __future__ import annotations

from rasa.core.channels.rest import RestInput
from sanic.request import Request

PREFIX = "rest:"


def conversation_id(sender: str) -> str:
    """The conversation a REST `sender` talks to."""
    return PREFIX + sender


class NamespacedRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, req: Request) -> str | None:
        sender = await super()._extract_sender(req)
        return None if sender is None else conversation_id(str(sender))
