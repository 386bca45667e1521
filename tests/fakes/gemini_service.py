"""The wire side of the fake Gemini: GenerativeService's two methods over grpc.aio, with the
library's own proto messages (no generated stubs), and the values the fake scripts and records.

Replies look like the real API's: one GenerateContentResponse per chunk, the text in
`candidates[0].content.parts[0].text`, the last one with finish_reason STOP. Keys too: none at
all is PERMISSION_DENIED, a wrong one INVALID_ARGUMENT "API key not valid".
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import grpc
from google.ai.generativelanguage_v1beta import types

if TYPE_CHECKING:
    from tests.fakes.gemini import FakeGemini

SERVICE = "google.ai.generativelanguage.v1beta.GenerativeService"
STREAM_METHOD = f"/{SERVICE}/StreamGenerateContent"
UNARY_METHOD = f"/{SERVICE}/GenerateContent"
DEFAULT_KEY = "test-key"
_BAD_KEY = "API key not valid. Please pass a valid API key."
_NO_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
_NO_CONTENTS = "* GenerateContentRequest.contents: contents is not specified"


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
class Fault:
    """An injected failure for one request."""

    kind: str  # "fail" | "break" | "stall"
    code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE
    after: int = 0  # chunks sent before breaking or stalling


def _response(
    model: str, text: str = "", finish: str | None = None
) -> types.GenerateContentResponse:
    candidate = types.Candidate(index=0, content=types.Content(role="model"))
    if text:
        candidate.content.parts.append(types.Part(text=text))
    if finish:
        candidate.finish_reason = types.Candidate.FinishReason[finish]
    return types.GenerateContentResponse(candidates=[candidate], model_version=model)


class GenerativeServiceHandler(grpc.GenericRpcHandler):
    """Serves the two methods from a FakeGemini's script, recording into it (its `_`-methods
    are this handler's interface to it; both live in this package)."""

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

    async def _admit(self, method: str, request, context) -> tuple[int, Fault | None, Reply]:
        key = dict(context.invocation_metadata() or ()).get("x-goog-api-key")
        wanted = self.fake.valid_key
        key_ok = bool(key) and (wanted is None or key == wanted)
        config = request.generation_config
        recorded = RecordedRequest(
            method=method,
            model=request.model,
            system_instruction="".join(p.text for p in request.system_instruction.parts),
            contents=tuple((c.role, "".join(p.text for p in c.parts)) for c in request.contents),
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
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, _NO_CONTENTS)
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
