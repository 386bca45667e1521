"""The one small interface to Gemini: stream a reply's text chunk by chunk, or fail with a reason.

Theory of operation. `GeminiClient.stream()` sends one StreamGenerateContent request through the
low-level async gRPC client of google-ai-generativelanguage (the high-level
`generate_content_async` holds every chunk back until the next one has arrived) and yields each
message's text as soon as it is read. Everything that can go wrong ends in one `GeminiError`
whose `reason` tells the caller what it may still do:

- "timeout": no text within `first_chunk_timeout` (nothing was said yet: answer another way);
- "error": the call failed before any text, after at most `retries` more attempts, made only for
  transient codes (a wrong key or a bad request is not retried);
- "stream_broken": an error, the deadline or a stall after some text was yielded (`partial`);
- "blocked": Gemini's safety filters refused the prompt or the reply.

Leaving the generator early (`aclose()`, a `break` inside `contextlib.aclosing`, or cancelling
the task that iterates it) cancels the gRPC call, so an interrupted caller stops the generation.

A grpc.aio channel belongs to the event loop that created it: `client_for_current_loop()` keeps
one client per running loop. Nothing happens at import (the action server imports every module
under actions/). The API key comes only from the environment, travels as the `x-goog-api-key`
metadata (as Google's clients send it) and is never logged or shown in a repr.

Not here: what to ask (prompt.py) or how the reply is made speakable (reply_cleaner.py).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import grpc
from google.ai.generativelanguage_v1beta import types
from google.ai.generativelanguage_v1beta.services.generative_service import (
    GenerativeServiceAsyncClient,
)
from google.ai.generativelanguage_v1beta.services.generative_service.transports import (
    GenerativeServiceGrpcAsyncIOTransport,
)
from google.api_core import exceptions as api_exceptions

from actions.llm.settings import DEFAULT_ENDPOINT, DEFAULT_MODEL, GeminiSettings, parse_endpoint

__all__ = [
    "DEFAULT_ENDPOINT",
    "DEFAULT_MODEL",
    "GeminiClient",
    "GeminiError",
    "GeminiSettings",
    "Streamer",
    "Turn",
    "client_for_current_loop",
    "parse_endpoint",
]

logger = logging.getLogger(__name__)

Reason = Literal["timeout", "error", "stream_broken", "blocked"]
Role = Literal["user", "model"]
# Worth a second attempt within the first-chunk budget: the service or the connection hiccuped.
TRANSIENT = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL})
_BLOCKED = frozenset(
    {
        types.Candidate.FinishReason.SAFETY,
        types.Candidate.FinishReason.RECITATION,
        types.Candidate.FinishReason.BLOCKLIST,
        types.Candidate.FinishReason.PROHIBITED_CONTENT,
        types.Candidate.FinishReason.SPII,
    }
)


class GeminiError(Exception):
    """Gemini gave no usable reply. `partial` is True when some text was already yielded."""

    def __init__(self, reason: Reason, detail: str = "", *, partial: bool = False) -> None:
        self.reason = reason
        self.detail = detail
        self.partial = partial
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True)
class Turn:
    """One line of the conversation as Gemini sees it."""

    role: Role
    text: str

    def __post_init__(self) -> None:
        if self.role not in ("user", "model"):
            raise ValueError(f'expected role "user" or "model", got {self.role!r}')


class Streamer(Protocol):
    """What the fallback action needs; GeminiClient is the real one, tests may plug their own."""

    def stream(self, system_instruction: str, turns: Sequence[Turn]) -> AsyncIterator[str]: ...


def _text_of(response: types.GenerateContentResponse) -> tuple[str, str | None]:
    """The message's text and, when Gemini's filters stopped it, why."""
    block = response.prompt_feedback.block_reason
    if block:
        return "", f"prompt {types.GenerateContentResponse.PromptFeedback.BlockReason(block).name}"
    if not response.candidates:
        return "", None
    candidate = response.candidates[0]
    # Only `text` parts are speech; `chunk.text` of the high-level library raises on the others.
    text = "".join(part.text for part in candidate.content.parts)
    if candidate.finish_reason in _BLOCKED:
        return text, f"reply {types.Candidate.FinishReason(candidate.finish_reason).name}"
    return text, None


async def _within(awaitable, timeout: float):
    """`asyncio.wait_for` without its Python 3.10 flaw: when the result and a cancellation arrive
    together, wait_for returns the result and the cancellation is lost (a caller who hung up
    would keep the stream going). Here a cancellation always wins."""
    task = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:
        task.cancel()
        await asyncio.wait({task})  # its own cleanup runs (grpc cancels the call on a read)
        raise
    if not done:
        task.cancel()
        await asyncio.wait({task})
        raise asyncio.TimeoutError
    return task.result()


class GeminiClient:
    """Streams Gemini replies over one gRPC channel, created lazily in the running event loop."""

    def __init__(self, settings: GeminiSettings) -> None:
        if not settings.enabled:
            raise ValueError("GeminiClient needs an API key (GEMINI_API_KEY)")
        self.settings = settings
        self._loop: asyncio.AbstractEventLoop | None = None
        self._channel: grpc.aio.Channel | None = None
        self._service: GenerativeServiceAsyncClient | None = None
        self._guard: AsyncIterator[None] | None = None  # see client_for_current_loop()

    def _connect(self) -> GenerativeServiceAsyncClient:
        loop = asyncio.get_running_loop()
        if self._service is None:
            address, secure = parse_endpoint(self.settings.endpoint)
            # Our own channel: no Google application-default credentials are looked up, and a
            # local http:// gateway (or the fake) works without TLS.
            self._channel = (
                grpc.aio.secure_channel(address, grpc.ssl_channel_credentials())
                if secure
                else grpc.aio.insecure_channel(address)
            )
            transport = GenerativeServiceGrpcAsyncIOTransport(channel=self._channel)
            self._service = GenerativeServiceAsyncClient(transport=transport)
            self._loop = loop
        elif loop is not self._loop:
            raise RuntimeError(
                "this GeminiClient belongs to another event loop; use client_for_current_loop()"
            )
        return self._service

    async def aclose(self, grace: float | None = None) -> None:
        """Close the channel; calls still running get `grace` seconds (None: cancelled now)."""
        channel, self._channel, self._service = self._channel, None, None
        if channel is not None:
            await channel.close(grace)

    def _request(
        self, system_instruction: str, turns: Sequence[Turn]
    ) -> types.GenerateContentRequest:
        if not turns or turns[-1].role != "user":
            raise ValueError("the turns must end with the caller's question (a user turn)")
        return types.GenerateContentRequest(
            model=self.settings.model_path,
            system_instruction=types.Content(parts=[types.Part(text=system_instruction)]),
            contents=[
                types.Content(role=turn.role, parts=[types.Part(text=turn.text)]) for turn in turns
            ],
            generation_config=types.GenerationConfig(
                candidate_count=1,
                max_output_tokens=self.settings.max_output_tokens,
                temperature=self.settings.temperature,
            ),
        )

    async def stream(self, system_instruction: str, turns: Sequence[Turn]) -> AsyncIterator[str]:
        """Yield the reply's text chunk by chunk as each message arrives; raise GeminiError."""
        settings = self.settings
        service = self._connect()
        request = self._request(system_instruction, turns)
        metadata = (("x-goog-api-key", settings.api_key or ""),)
        loop = asyncio.get_running_loop()
        started = loop.time()
        calls: list = []  # every call opened, so `finally` can cancel whichever is still running

        async def next_text(call) -> str | None:
            """The next non-empty text, or None at the end of the stream."""
            while True:
                response = await call.read()
                if response is grpc.aio.EOF:
                    return None
                text, blocked = _text_of(response)
                if blocked:
                    raise GeminiError("blocked", blocked)
                if text:
                    return text

        async def first_text() -> tuple[object, str]:
            attempt = 0
            while True:
                remaining = settings.timeout - (loop.time() - started)
                try:
                    # Awaiting sends the request (and raises if that already failed).
                    call = await service.stream_generate_content(
                        request, retry=None, timeout=remaining, metadata=metadata
                    )
                    calls.append(call)
                    text = await next_text(call)
                except api_exceptions.GoogleAPICallError as error:
                    code = error.grpc_status_code
                    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                        raise GeminiError("timeout", "deadline exceeded") from None
                    if code in TRANSIENT and attempt < settings.retries:
                        attempt += 1
                        logger.info("gemini: %s, retry %d", code.name, attempt)
                        await asyncio.sleep(0.05 * attempt)  # brief: the budget is 1.5 s
                        continue
                    name = code.name if code else type(error).__name__
                    raise GeminiError("error", f"{name} after {attempt + 1} attempt(s)") from None
                if text is None:
                    raise GeminiError("error", "the reply had no text")
                return call, text

        try:
            try:
                call, text = await _within(first_text(), settings.first_chunk_timeout)
            except asyncio.TimeoutError:
                raise GeminiError(
                    "timeout", f"no text within {settings.first_chunk_timeout:g} s"
                ) from None
            logger.debug("gemini: first chunk after %.3f s", loop.time() - started)
            while text is not None:
                yield text
                try:
                    text = await _within(next_text(call), settings.stall_timeout)
                except asyncio.TimeoutError:
                    raise GeminiError(
                        "stream_broken", f"stalled for {settings.stall_timeout:g} s", partial=True
                    ) from None
                except api_exceptions.GoogleAPICallError as error:
                    name = error.grpc_status_code.name if error.grpc_status_code else "error"
                    raise GeminiError("stream_broken", name, partial=True) from None
                except GeminiError as error:
                    raise GeminiError(error.reason, error.detail, partial=True) from None
        except GeminiError as error:
            logger.info(
                "gemini: %s after %.2f s (%s, partial=%s)",
                error.reason,
                loop.time() - started,
                error.detail,
                error.partial,
            )
            raise
        finally:
            # Also reached by aclose() (GeneratorExit at the yield) and by cancellation.
            running = [call for call in calls if not call.done()]
            for call in running:
                call.cancel()
            if running:
                # Let grpc confirm the end here: a completion arriving after this loop has
                # closed would be delivered to a closed loop ("Event loop is closed").
                await asyncio.wait([asyncio.ensure_future(c.code()) for c in running], timeout=1)


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GeminiClient] = (
    weakref.WeakKeyDictionary()
)
_closing: set[asyncio.Task] = set()  # keeps replaced clients' close tasks alive until done


def client_for_current_loop(settings: GeminiSettings) -> GeminiClient:
    """The running loop's client for `settings`; a new one when the settings changed.
    Raises ValueError without an API key (check `settings.enabled` first)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is not None and client.settings == settings:
        return client
    if client is not None:
        # Streams still running on the old client may finish within their own deadline.
        task = loop.create_task(client.aclose(grace=client.settings.timeout))
        _closing.add(task)
        task.add_done_callback(_closing.discard)
    client = _clients[loop] = GeminiClient(settings)
    # Close the channel when the loop shuts down: an open channel outliving its loop makes
    # grpc deliver callbacks to a closed loop ("Event loop is closed"), e.g. after asyncio.run().
    guard = _close_at_shutdown(client)
    client._guard = guard  # the loop only holds a weak reference to it
    loop.create_task(guard.__anext__())
    return client


async def _close_at_shutdown(client: GeminiClient) -> AsyncIterator[None]:
    """Parked at its yield until the loop's shutdown_asyncgens() (asyncio.run and most servers
    call it before closing the loop) closes it, which closes the client."""
    try:
        yield
    finally:
        await client.aclose()
        # The cancellations that closing causes complete on grpc's poller thread; give them
        # this loop while it still runs, or some runs log the error.
        await asyncio.sleep(0.05)
