"""Rasa's turns on a thread of their own, so the sockets' loop never waits behind them (opt-in).

Rasa 3.6 runs NLU and the policies synchronously inside its coroutines: while a turn computes,
the event loop it runs on does nothing else. On Sanic's loop every ping, every frame and every
relayed sentence of every call waits behind whatever turns are queued, and Retell drops a socket
after 5 s without pongs. Here the Retell channel hands each turn — and everything else that
touches Rasa's tracker and lock stores for its calls — to one dedicated thread with its own
event loop. The socket loop keeps the protocol: frames, pings, the writer, the relay. Python's
GIL still serialises the Python parts, but it is handed over at least every few milliseconds
(`sys.getswitchinterval`), so the socket loop gets its turn within milliseconds instead of after
the whole queue; TensorFlow and database I/O release it.

Off by default (`RETELL_TURN_THREAD=1` turns it on). It keeps pings answered past the knee, where
one process has more turns than it can compute, but below it, where a deployment should run, it
costs more than it saves: every frame that wakes the socket loop while a turn computes is a GIL
hand-over between the threads, and Retell's pings alone (one per call every 2 s) make many of
them. docs/benchmarks.md compares the two.

One thread, not a pool: turns stay serialised on one loop, as in stock Rasa (conversation locks,
tracker saves and the in-memory lock store see one thread). Output produced during a turn is
handed back to the socket's loop (`call_soon_threadsafe`), where the call's protocol state lives:
that state is only ever touched on one thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

_T = TypeVar("_T")


class TurnLoop:
    """An event loop on a daemon thread, started on first use."""

    def __init__(self, name: str = "rasa-turns") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                thread = threading.Thread(
                    target=self._serve, args=(loop, ready), name=self.name, daemon=True
                )
                thread.start()
                ready.wait()
                self._loop = loop
                logger.info("Rasa turns run on thread %r", self.name)
            return self._loop

    @staticmethod
    def _serve(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        loop.run_forever()

    async def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """`coroutine`'s result, computed on the turn thread. Cancelling the caller does not
        cancel the work there: a Rasa turn cut short is never saved (the tracker is written at
        its end), so a turn always runs to completion."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return await asyncio.shield(asyncio.wrap_future(future))


# The process's one turn thread (see the module docstring).
TURNS = TurnLoop()
