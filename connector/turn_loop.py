"""Rasa's turns on a thread of their own, so the sockets' loop never waits behind them (opt-in).

Rasa 3.6 runs NLU and the policies synchronously inside its coroutines: while a turn computes,
the event loop it runs on does nothing else. On Sanic's loop that meant every ping, every frame
and every relayed sentence of every call waited behind whatever turns were queued (ping p99
0.8-2.1 s at 200 calls in `make bench`, where Retell drops a socket after 5 s; ~0.3 s with this
thread, at the same turn latency within the runs' spread). Here the Retell channel hands each
turn — and everything else that touches Rasa's tracker and lock stores for its calls — to one
dedicated thread with its own event loop. The socket loop keeps the protocol: frames, pings,
the writer, the relay. Python's GIL still serialises the Python parts, but it is handed over at
least every few milliseconds (`sys.getswitchinterval`), so the socket loop gets its turn within
milliseconds instead of after the whole queue; TensorFlow and database I/O release it.

Off by default (`RETELL_TURN_THREAD=1` turns it on). It keeps pings answered past the knee (at
400 calls on one process: ping p99 67 ms against 1.0 s on Sanic's loop, every call kept against
373 of 400), but below it, where a deployment should run, it costs more than it saves: every
frame that wakes the socket loop while a turn computes is a GIL hand-over between the threads,
and Retell's pings alone (one per call every 2 s) raised the turn thread's CPU by a third at 100
calls (23.8 -> 31.2 % of a core; per-thread CPU, pings off and on). On one machine, Sanic's
loop answered 200 calls at 1.13x the REST floor's first-frame p50 measured in the same run (the
thread: 1.19-1.41x in four runs) and 300 calls, the knee, with a first-frame p99 of 278 ms in
one run and 1.6 s in the next (the thread passed 500 ms at 200 in two of four).

One thread, not a pool: turns were serialised on one loop before and still are (conversation
locks, tracker saves and the in-memory lock store then see one thread, as in stock Rasa).
Output produced during a turn is handed back to the socket's loop (`call_soon_threadsafe`), where
the call's protocol state lives: that state is only ever touched on one thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Coroutine, TypeVar

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
                thread = threading.Thread(target=self._serve, args=(loop, ready),
                                          name=self.name, daemon=True)  # fmt: skip
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
