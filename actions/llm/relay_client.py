"""Speaking into a live call from an action: the client side of the relay (common/relay.py).

`target_for(tracker)` finds where the current turn's call is held: the channel's signed turn
facts in the latest message's metadata (call id, response id, replica id) and the replica's
address from this server's own configuration, `RELAY_URLS` ("replica=url,..." or one URL for
the replica "default"). No signed facts (REST, `rasa shell`, `rasa interactive`), an unknown
replica or no CHANNEL_SECRET: no target, and the action answers as a normal message.

`RelayStream.say(text)` posts one piece and says whether to go on; after a "superseded" the
caller must stop generating (nobody will hear it). One aiohttp session per event loop keeps the
connection alive between pieces.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import time
import weakref
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from rasa_sdk import Tracker

from common import identity, relay

logger = logging.getLogger(__name__)

URLS_ENV = "RELAY_URLS"
DEFAULT_REPLICA = "default"
SUPERSEDED = "superseded"
_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
    weakref.WeakKeyDictionary()
)


def relay_urls(value: str | None) -> dict[str, str]:
    """ "a=http://10.0.0.5:5005/webhooks/retell/relay,b=..." or one URL → {replica: url}.
    Raises ValueError naming the bad entry."""
    urls: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in (value or "").split(","))):
        replica, sep, url = entry.partition("=")
        if not sep:
            replica, url = DEFAULT_REPLICA, entry
        replica, url = replica.strip(), url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or not replica:
            raise ValueError(
                f"{URLS_ENV}: expected replica=http(s)://host:port/path, got {entry!r}"
            )
        urls[replica] = url
    return urls


@dataclass(frozen=True)
class Target:
    url: str
    call_id: str
    response_id: int


def target_for(tracker: Tracker) -> Target | None:
    secret = identity.secret_from_env()
    if secret is None:
        return None
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            facts = ((event.get("metadata") or {}).get("relay")) or {}
            break
    else:
        return None
    replica, response_id = facts.get("replica"), facts.get("response_id")
    signature = facts.get("signature")
    if not (
        isinstance(replica, str) and isinstance(response_id, int) and isinstance(signature, str)
    ):
        return None
    expected = relay.turn_signature(secret, tracker.sender_id, response_id, replica)
    if not hmac.compare_digest(expected, signature):
        logger.warning("relay: turn facts with a bad signature; answering without streaming")
        return None
    try:
        url = relay_urls(os.environ.get(URLS_ENV)).get(replica)
    except ValueError as error:
        logger.error("relay: %s", error)
        return None
    if url is None:
        logger.warning("relay: no address configured for replica %r (%s)", replica, URLS_ENV)
        return None
    return Target(url, tracker.sender_id, response_id)


def _http() -> aiohttp.ClientSession:
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2.0))
        _sessions[loop] = session
    return session


class RelayStream:
    """Pieces of one answer, in order, into one turn of one call."""

    def __init__(self, target: Target, secret: bytes) -> None:
        self.target = target
        self.secret = secret
        self.stopped: str | None = None  # why no more can be relayed
        self.delivered = 0  # pieces the caller's socket took

    async def say(self, text: str) -> bool:
        if self.stopped is not None:
            return False
        body = relay.body_of(relay.RelayChunk(self.target.call_id, self.target.response_id, text))
        stamp = f"{time.time():.6f}"  # unique per piece: each is usable once
        headers = {
            "Content-Type": "application/json",
            relay.TIMESTAMP_HEADER: stamp,
            relay.SIGNATURE_HEADER: relay.sign(self.secret, stamp, body),
        }
        try:
            async with _http().post(self.target.url, data=body, headers=headers) as answer:
                if answer.status == 200:
                    self.delivered += 1
                    return True
                self.stopped = {409: SUPERSEDED, 404: "unknown call"}.get(
                    answer.status, f"HTTP {answer.status}"
                )
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            self.stopped = f"unreachable ({type(error).__name__})"
        logger.info(
            "relay: call %s response %s: stopped (%s) after %d pieces",
            self.target.call_id,
            self.target.response_id,
            self.stopped,
            self.delivered,
        )
        return False
