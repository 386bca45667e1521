"""A fake Gemini: a real grpc.aio server speaking google.ai.generativelanguage.v1beta's
GenerativeService, so the production client (actions/gemini.py) runs unchanged against it.

Theory of operation. The server runs in its own thread with its own event loop, so sync tests,
async tests (any loop) and other processes can all talk to it over loopback. A generic RPC
handler (no generated stubs) decodes requests and encodes replies with the library's own proto
messages. Each request takes the next queued behaviour: an injected fault (`fail_next`,
`break_after`, `stall`) first, then a scripted reply (`script`), else the default reply. `hold()`
keeps every reply's last chunk back until `release()`, so a test can look at what arrived before
the end without racing a timer. Everything observed is recorded, thread-safely: `requests`
(model, system instruction, (role, text) pairs and whether the key matched; never the key),
`cancelled` (indices of requests the client abandoned mid-reply) and `emitted` (each chunk's
`time.monotonic()` when written; CLOCK_MONOTONIC is system-wide on Linux, so another process can
compare). Keys behave like the real API: a wrong key is INVALID_ARGUMENT "API key not valid",
no key at all PERMISSION_DENIED.

Demo mode: `python -m tests.fakes.gemini --port 50051` serves until Ctrl-C with a receptionist-like
reply and realistic timing, for running the assistant without a Google account.
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
from dataclasses import dataclass

import grpc
from google.ai.generativelanguage_v1beta import types

SERVICE = "google.ai.generativelanguage.v1beta.GenerativeService"
STREAM_METHOD = f"/{SERVICE}/StreamGenerateContent"
UNARY_METHOD = f"/{SERVICE}/GenerateContent"
DEFAULT_KEY = "test-key"
_BAD_KEY = "API key not valid. Please pass a valid API key."
_NO_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)


@dataclass(frozen=True)
class Reply:
    """A scripted reply. A `finish_reason` other than STOP (e.g. "SAFETY") ends it with a
    text-less candidate carrying that reason; `block_reason` refuses the prompt outright."""

    chunks: tuple[str, ...]
    first_chunk_delay: float = 0.0
    gap: float = 0.0
    finish_reason: str = "STOP"
    block_reason: str | None = None


@dataclass(frozen=True)
class RecordedRequest:
    method: str  # "StreamGenerateContent" or "GenerateContent"
    model: str
    system_instruction: str
    contents: tuple[tuple[str, str], ...]  # (role, text)
    key_ok: bool  # the key itself is never stored
    max_output_tokens: int
    temperature: float


@dataclass(frozen=True)
class Emitted:
    request: int  # index into `requests`
    index: int  # chunk number within the reply
    text: str
    at: float  # time.monotonic() as the chunk was handed to gRPC for writing


@dataclass(frozen=True)
class _Fault:
    kind: str  # "fail" | "break" | "stall"
    code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE
    after: int = 0  # chunks sent before breaking or stalling


def _response(model: str, text: str = "", finish: str | None = None) -> types.GenerateContentResponse:
    candidate = types.Candidate(index=0, content=types.Content(role="model"))
    if text:
        candidate.content.parts.append(types.Part(text=text))
    if finish:
        candidate.finish_reason = types.Candidate.FinishReason[finish]
    return types.GenerateContentResponse(candidates=[candidate], model_version=model)


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
        self._faults: deque[_Fault] = deque()
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
        server.add_generic_rpc_handlers((_Handler(self),))
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

    def fail_next(self, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE, times: int = 1) -> None:
        """The next `times` requests fail with `code` before sending anything."""
        with self._cond:
            self._faults.extend(_Fault("fail", code) for _ in range(times))

    def break_after(self, n_chunks: int, code: grpc.StatusCode = grpc.StatusCode.INTERNAL) -> None:
        """The next request's reply dies with `code` after `n_chunks` chunks."""
        with self._cond:
            self._faults.append(_Fault("break", code, n_chunks))

    def stall(self, after: int = 0) -> None:
        """The next request's reply sends `after` chunks, then nothing until the client leaves."""
        with self._cond:
            self._faults.append(_Fault("stall", after=after))

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

    def _next(self, request: RecordedRequest) -> tuple[_Fault | None, Reply]:
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


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, fake: FakeGemini) -> None:
        self.fake = fake

    def service(self, details: grpc.HandlerCallDetails):
        if details.method == STREAM_METHOD:
            return grpc.unary_stream_rpc_method_handler(
                self.stream,
                request_deserializer=types.GenerateContentRequest.deserialize,
                response_serializer=types.GenerateContentResponse.serialize,
            )
        if details.method == UNARY_METHOD:
            return grpc.unary_unary_rpc_method_handler(
                self.unary,
                request_deserializer=types.GenerateContentRequest.deserialize,
                response_serializer=types.GenerateContentResponse.serialize,
            )
        return None  # the server answers UNIMPLEMENTED

    async def _admit(self, method: str, request, context) -> tuple[int, _Fault | None, Reply]:
        key = dict(context.invocation_metadata() or ()).get("x-goog-api-key")
        wanted = self.fake.valid_key
        key_ok = bool(key) and (wanted is None or key == wanted)
        config = request.generation_config
        recorded = RecordedRequest(
            method=method,
            model=request.model,
            system_instruction="".join(p.text for p in request.system_instruction.parts),
            contents=tuple(
                (c.role, "".join(p.text for p in c.parts)) for c in request.contents
            ),
            key_ok=key_ok,
            max_output_tokens=config.max_output_tokens,
            temperature=round(config.temperature, 4),
        )
        index = self.fake._record("_requests", recorded)
        if not key:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, _NO_KEY)
        if not key_ok:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, _BAD_KEY)
        if not request.contents:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "* GenerateContentRequest.contents: contents is not specified")
        fault, reply = self.fake._next(recorded)
        if fault is not None and fault.kind == "fail":
            await context.abort(fault.code, f"fake Gemini: injected {fault.code.name}")
        return index, fault, reply

    async def stream(self, request, context) -> None:
        index, fault, reply = await self._admit("StreamGenerateContent", request, context)
        model = request.model
        try:
            if reply.block_reason:
                blocked = types.GenerateContentResponse(model_version=model)
                blocked.prompt_feedback.block_reason = (
                    types.GenerateContentResponse.PromptFeedback.BlockReason[reply.block_reason]
                )
                await context.write(blocked)
                return
            await asyncio.sleep(reply.first_chunk_delay)
            last = len(reply.chunks) - 1
            for n, chunk in enumerate(reply.chunks):
                if fault is not None and n == fault.after:
                    if fault.kind == "stall":
                        await asyncio.Event().wait()  # until the client cancels or we stop
                    await context.abort(fault.code, "fake Gemini: stream broken")
                if n:
                    await asyncio.sleep(reply.gap)
                if n == last:
                    while self.fake._is_held():
                        await asyncio.sleep(0.005)
                finish = "STOP" if n == last and reply.finish_reason == "STOP" else None
                # Recorded as the chunk is handed to gRPC, so a client holding chunk n always
                # finds it in `emitted`.
                self.fake._record("_emitted", Emitted(index, n, chunk, time.monotonic()))
                await context.write(_response(model, chunk, finish))
            if fault is not None and fault.after >= len(reply.chunks):
                if fault.kind == "stall":
                    await asyncio.Event().wait()
                await context.abort(fault.code, "fake Gemini: stream broken")
            if reply.finish_reason != "STOP":
                await context.write(_response(model, finish=reply.finish_reason))
        except asyncio.CancelledError:
            if not self.fake._stopping:
                self.fake._record("_cancelled", index)
            raise

    async def unary(self, request, context) -> types.GenerateContentResponse:
        index, fault, reply = await self._admit("GenerateContent", request, context)
        try:
            if fault is not None:
                if fault.kind == "stall":
                    await asyncio.Event().wait()
                await context.abort(fault.code, "fake Gemini: broken")
            await asyncio.sleep(reply.first_chunk_delay + reply.gap * max(len(reply.chunks) - 1, 0))
            text = "".join(reply.chunks)
            self.fake._record("_emitted", Emitted(index, 0, text, time.monotonic()))
            return _response(request.model, text, reply.finish_reason)
        except asyncio.CancelledError:
            if not self.fake._stopping:
                self.fake._record("_cancelled", index)
            raise


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
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.gemini", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=50051, help="0 picks a free port")
    parser.add_argument("--key", default="demo", help="the API key to accept (default: demo)")
    parser.add_argument("--first-chunk-delay", type=float, default=0.3)
    parser.add_argument("--gap", type=float, default=0.04, help="seconds between chunks")
    parser.add_argument("--log-emitted", metavar="FILE", help="append one JSON line per chunk written")
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
                    for item in emitted[written:]:
                        log.write(json.dumps(item.__dict__) + "\n")
                written = len(emitted)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
