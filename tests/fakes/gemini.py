"""A fake Gemini: a real grpc.aio server speaking google.ai.generativelanguage.v1beta's
GenerativeService, so the production client (actions/llm/gemini.py) runs unchanged against it.

Theory of operation. The server runs in its own thread with its own event loop, so sync tests,
async tests (any loop) and other processes can all talk to it over loopback; the wire side (a
generic RPC handler, the library's own proto messages, keys checked like the real API) is in
gemini_service.py. Each request takes the next queued behaviour: an injected fault (`fail_next`,
`break_after`, `stall`) first, then a scripted reply (`script`), else the default reply.
`hold()` keeps every reply's last chunk back until `release()`, so a test can look at what
arrived before the end without racing a timer. Everything observed is recorded, thread-safely:
`requests` (model, system instruction, (role, text) pairs and whether the key matched; never the
key), `cancelled` (indices of requests the client abandoned mid-reply: cancel or deadline) and
`emitted` (each chunk's `time.monotonic()` as it is handed to gRPC; CLOCK_MONOTONIC is
system-wide on Linux, so a benchmark in another process can compare its own clock).

Demo mode: `python -m tests.fakes.gemini --port 50051` serves until Ctrl-C with a
receptionist-like reply and realistic timing, for running the assistant without a Google
account; `--log-emitted FILE` appends each chunk's timestamp as a JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import re
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

import grpc

from tests.fakes.gemini_service import (
    DEFAULT_KEY,
    STREAM_METHOD,
    UNARY_METHOD,
    Emitted,
    Fault,
    GenerativeServiceHandler,
    RecordedRequest,
    Reply,
)

__all__ = [
    "DEFAULT_KEY",
    "STREAM_METHOD",
    "UNARY_METHOD",
    "Emitted",
    "FakeGemini",
    "RecordedRequest",
    "Reply",
    "demo_reply",
    "main",
    "split_words",
]


def split_words(text: str, words_per_chunk: int = 3) -> tuple[str, ...]:
    """Chunks of a few words that keep their own spaces, as Gemini's chunks do."""
    words = re.findall(r"\S+\s*", text)
    return tuple(
        "".join(words[i : i + words_per_chunk]) for i in range(0, len(words), words_per_chunk)
    )


class FakeGemini:
    """See the module docstring. Use as `with FakeGemini() as fake:` or `start()`/`stop()`."""

    def __init__(
        self,
        *,
        valid_key: str | None = DEFAULT_KEY,  # None accepts any key (but not none)
        default_reply: Reply | Callable[[RecordedRequest], Reply] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.valid_key = valid_key
        self.default_reply = default_reply or Reply(("Sure, ", "I can help ", "with that."))
        self._host, self._port = host, port
        self._cond = threading.Condition()
        self._replies: deque[Reply] = deque()
        self._faults: deque[Fault] = deque()
        self._held = False
        self._requests: list[RecordedRequest] = []
        self._cancelled: list[int] = []
        self._emitted: list[Emitted] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop_event: asyncio.Event | None = None
        self._stopping = False
        self.port = 0

    # -- life cycle -------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return f"http://{self._host}:{self.port}"

    def start(self) -> FakeGemini:
        ready: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.name = "fake-gemini"
        self._thread.start()
        self.port = ready.result(timeout=10)
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._stopping = True
        self.release()
        self._loop.call_soon_threadsafe(self._stop_event.set)
        self._thread.join(timeout=10)
        self._loop = self._thread = None

    def __enter__(self) -> FakeGemini:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, ready: concurrent.futures.Future) -> None:
        loop = self._loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve(ready))
        except BaseException as error:  # a port in use must reach start(), not vanish
            if not ready.done():
                ready.set_exception(error)
        finally:
            loop.close()

    async def _serve(self, ready: concurrent.futures.Future) -> None:
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((GenerativeServiceHandler(self),))
        port = server.add_insecure_port(f"{self._host}:{self._port}")
        await server.start()
        self._stop_event = asyncio.Event()
        ready.set_result(port)
        await self._stop_event.wait()
        await server.stop(grace=None)

    # -- scripting --------------------------------------------------------------------------
    def script(
        self,
        chunks: Sequence[str],
        first_chunk_delay: float = 0.0,
        gap: float = 0.0,
        finish_reason: str = "STOP",
    ) -> None:
        """Queue a reply for the next request that has no fault to take."""
        with self._cond:
            self._replies.append(Reply(tuple(chunks), first_chunk_delay, gap, finish_reason))

    def block_prompt(self, reason: str = "SAFETY") -> None:
        with self._cond:
            self._replies.append(Reply((), block_reason=reason))

    def fail_next(
        self, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE, times: int = 1
    ) -> None:
        """The next `times` requests fail with `code` before sending anything."""
        with self._cond:
            self._faults.extend(Fault("fail", code) for _ in range(times))

    def break_after(self, n_chunks: int, code: grpc.StatusCode = grpc.StatusCode.INTERNAL) -> None:
        """The next request's reply dies with `code` after `n_chunks` chunks."""
        with self._cond:
            self._faults.append(Fault("break", code, n_chunks))

    def stall(self, after: int = 0) -> None:
        """The next request's reply sends `after` chunks, then nothing until the client leaves."""
        with self._cond:
            self._faults.append(Fault("stall", after=after))

    def hold(self) -> None:
        """Keep every reply's last chunk back until release()."""
        with self._cond:
            self._held = True

    def release(self) -> None:
        with self._cond:
            self._held = False

    def reset(self) -> None:
        """Forget queued replies and faults, the hold and the record (between test cases)."""
        with self._cond:
            self._replies.clear()
            self._faults.clear()
            self._held = False
            self._requests.clear()
            self._cancelled.clear()
            self._emitted.clear()

    # -- the record -------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._cond:
            return list(self._requests)

    @property
    def cancelled(self) -> list[int]:
        with self._cond:
            return list(self._cancelled)

    @property
    def emitted(self) -> list[Emitted]:
        with self._cond:
            return list(self._emitted)

    def wait_for(self, predicate: Callable[[FakeGemini], bool], timeout: float = 5.0) -> bool:
        """Block until `predicate(self)` holds (re-checked on every record); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    async def wait_for_async(
        self, predicate: Callable[[FakeGemini], bool], timeout: float = 5.0
    ) -> bool:
        """wait_for() for async tests, without blocking their event loop."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout)

    def _record(self, attribute: str, item: object) -> int:
        with self._cond:
            getattr(self, attribute).append(item)
            self._cond.notify_all()
            return len(getattr(self, attribute)) - 1

    def _next(self, request: RecordedRequest) -> tuple[Fault | None, Reply]:
        """The request's fault (if any) and reply. A failed request leaves the scripted reply
        for the next one (the client's retry); a broken or stalled one uses it up."""
        with self._cond:
            fault = self._faults.popleft() if self._faults else None
            if fault is not None and fault.kind == "fail":
                return fault, Reply(())
            if self._replies:
                return fault, self._replies.popleft()
        default = self.default_reply
        return fault, default(request) if callable(default) else default

    def _is_held(self) -> bool:
        with self._cond:
            return self._held and not self._stopping


def demo_reply(
    first_chunk_delay: float = 0.3, gap: float = 0.04
) -> Callable[[RecordedRequest], Reply]:
    """A receptionist-sounding reply built from the caller's question, for demo mode."""

    def reply(request: RecordedRequest) -> Reply:
        question = next((t for r, t in reversed(request.contents) if r == "user"), "")
        question = " ".join(question.split())[:80].rstrip(" ?.!")
        about = f' You asked: "{question}".' if question else ""
        text = (
            f"(demo Gemini) I'd be happy to help with that.{about} The real assistant would answer "
            "from the business profile. Would you like to book an appointment?"
        )
        return Reply(split_words(text), first_chunk_delay, gap)

    return reply


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.gemini", description="A fake Gemini for demos and benchmarks."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=50051, help="0 picks a free port")
    parser.add_argument("--key", default="demo", help="the API key to accept (default: demo)")
    parser.add_argument("--first-chunk-delay", type=float, default=0.3)
    parser.add_argument("--gap", type=float, default=0.04, help="seconds between chunks")
    parser.add_argument(
        "--log-emitted", metavar="FILE", help="append one JSON line per chunk written"
    )
    args = parser.parse_args(argv)
    fake = FakeGemini(
        valid_key=args.key,
        default_reply=demo_reply(args.first_chunk_delay, args.gap),
        host=args.host,
        port=args.port,
    ).start()
    print(f"fake Gemini listening on {fake.endpoint}")
    print(f"use: GEMINI_API_KEY={args.key} GEMINI_API_ENDPOINT={fake.endpoint}", flush=True)
    # SIGTERM ends the demo like Ctrl-C does: the server stops cleanly.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    written = 0
    try:
        while True:
            time.sleep(0.2)
            if args.log_emitted:
                emitted = fake.emitted
                with open(args.log_emitted, "a", encoding="utf-8") as log:
                    log.writelines(json.dumps(e.__dict__) + "\n" for e in emitted[written:])
                written = len(emitted)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
