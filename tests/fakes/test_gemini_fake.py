"""The fake Gemini itself: through the real client, a plain sync gRPC channel, and its CLI."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest
from google.ai.generativelanguage_v1beta import types
from google.ai.generativelanguage_v1beta.services.generative_service import (
    GenerativeServiceAsyncClient,
)
from google.ai.generativelanguage_v1beta.services.generative_service.transports import (
    GenerativeServiceGrpcAsyncIOTransport,
)

from actions.llm.gemini import GeminiError, GeminiSettings, Turn, client_for_current_loop
from tests.fakes.gemini import (
    DEFAULT_KEY,
    STREAM_METHOD,
    UNARY_METHOD,
    FakeGemini,
    RecordedRequest,
    demo_reply,
    split_words,
)

ROOT = Path(__file__).resolve().parents[2]
REQUEST = types.GenerateContentRequest(
    model="models/gemini-2.5-flash-lite",
    contents=[types.Content(role="user", parts=[types.Part(text="Are you open on Sunday?")])],
)


@pytest.fixture(scope="module")
def _server():
    with FakeGemini() as fake:
        yield fake


@pytest.fixture
def fake(_server: FakeGemini) -> FakeGemini:
    _server.reset()
    return _server


@pytest.fixture
def sync_stream(fake):
    """Calls StreamGenerateContent over a plain (sync) gRPC channel: (request, key) → call."""
    channel = grpc.insecure_channel(fake.endpoint.removeprefix("http://"))
    method = channel.unary_stream(
        STREAM_METHOD,
        request_serializer=types.GenerateContentRequest.serialize,
        response_deserializer=types.GenerateContentResponse.deserialize,
    )

    def call(request=REQUEST, key: str | None = DEFAULT_KEY, timeout: float = 5.0):
        metadata = [("x-goog-api-key", key)] if key is not None else []
        return method(request, metadata=metadata, timeout=timeout)

    yield call
    channel.close()


def texts(responses) -> list[str]:
    return [r.candidates[0].content.parts[0].text for r in responses if r.candidates]


async def stream_text(endpoint: str, key: str = DEFAULT_KEY, question: str = "hi") -> list[str]:
    settings = GeminiSettings(api_key=key, endpoint=endpoint, first_chunk_timeout=3.0)
    client = client_for_current_loop(settings)
    return [chunk async for chunk in client.stream("Be brief.", [Turn("user", question)])]


def test_it_listens_on_a_free_loopback_port():
    with FakeGemini() as one, FakeGemini() as two:
        assert one.endpoint.startswith("http://127.0.0.1:") and one.port > 0
        assert one.port != two.port
    one.stop()  # stopping twice is harmless


def test_scripted_replies_are_served_in_order_then_the_default(fake):
    fake.script(["First ", "reply."])
    fake.script(["Second."])

    async def three():
        return [await stream_text(fake.endpoint) for _ in range(3)]

    default = ["Sure, ", "I can help ", "with that."]
    assert asyncio.run(three()) == [["First ", "reply."], ["Second."], default]
    assert len(fake.requests) == 3


def test_the_record_holds_the_request_but_never_the_key(fake):
    asyncio.run(stream_text(fake.endpoint, question="Do you have parking?"))
    (request,) = fake.requests
    assert request.method == "StreamGenerateContent"
    assert request.model == "models/gemini-2.5-flash-lite"
    assert request.system_instruction == "Be brief."
    assert request.contents == (("user", "Do you have parking?"),)
    assert request.key_ok
    assert DEFAULT_KEY not in repr(fake.requests)


def test_delays_gaps_and_emitted_timestamps(fake):
    fake.script(["One ", "two ", "three."], first_chunk_delay=0.2, gap=0.1)

    async def timed():
        started, arrivals = time.monotonic(), []
        settings = GeminiSettings(api_key=DEFAULT_KEY, endpoint=fake.endpoint)
        async for _ in client_for_current_loop(settings).stream("x", [Turn("user", "q")]):
            arrivals.append(time.monotonic())
        return started, arrivals

    started, arrivals = asyncio.run(timed())
    emitted = fake.emitted
    assert [e.text for e in emitted] == ["One ", "two ", "three."]
    assert arrivals[0] - started >= 0.2
    assert all(b.at - a.at >= 0.09 for a, b in itertools.pairwise(emitted))
    # One monotonic clock: each chunk reached the caller after, and soon after, it was sent.
    for sent, received in zip(emitted, arrivals):
        assert 0 <= received - sent.at < 0.5


def test_a_sync_client_and_the_hold(fake, sync_stream):
    fake.hold()
    fake.script(["Yes, ", "we are ", "open."])
    responses = sync_stream()
    first = next(responses)
    assert texts([first]) == ["Yes, "]
    assert fake.wait_for(lambda f: len(f.emitted) == 2, timeout=2)
    assert not fake.wait_for(lambda f: len(f.emitted) == 3, timeout=0.2)  # held
    fake.release()
    rest = list(responses)
    assert texts(rest) == ["we are ", "open."]
    assert rest[-1].candidates[0].finish_reason == types.Candidate.FinishReason.STOP


@pytest.mark.parametrize(
    ("key", "code", "details"),
    [
        (None, grpc.StatusCode.PERMISSION_DENIED, "unregistered callers"),
        ("wrong", grpc.StatusCode.INVALID_ARGUMENT, "API key not valid"),
    ],
)
def test_keys_are_checked_like_the_real_api(fake, sync_stream, key, code, details):
    with pytest.raises(grpc.RpcError) as raised:
        list(sync_stream(key=key))
    assert raised.value.code() == code and details in raised.value.details()
    assert [r.key_ok for r in fake.requests] == [False]


def test_any_key_when_no_valid_key_is_set():
    with FakeGemini(valid_key=None) as fake:
        assert asyncio.run(stream_text(fake.endpoint, key="whatever"))
        assert fake.requests[0].key_ok


def test_a_request_without_contents_is_invalid(fake, sync_stream):
    with pytest.raises(grpc.RpcError) as raised:
        list(sync_stream(types.GenerateContentRequest(model="models/x")))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_injected_faults(fake, sync_stream):
    fake.fail_next(grpc.StatusCode.UNAVAILABLE)
    fake.script(["Kept for the retry."])
    with pytest.raises(grpc.RpcError) as raised:
        list(sync_stream())
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert texts(sync_stream()) == ["Kept for the retry."]

    fake.break_after(1)
    fake.script(["One ", "two."])
    responses = sync_stream()
    assert texts([next(responses)]) == ["One "]
    with pytest.raises(grpc.RpcError) as raised:
        next(responses)
    assert raised.value.code() == grpc.StatusCode.INTERNAL


def test_a_stall_ends_only_when_the_client_gives_up(fake, sync_stream):
    fake.stall()
    with pytest.raises(grpc.RpcError) as raised:
        list(sync_stream(timeout=0.3))
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert fake.wait_for(lambda f: f.cancelled == [0], timeout=3)
    assert fake.emitted == []


def test_a_blocked_prompt(fake, sync_stream):
    fake.block_prompt("PROHIBITED_CONTENT")
    (response,) = list(sync_stream())
    assert not response.candidates
    blocked = types.GenerateContentResponse.PromptFeedback.BlockReason.PROHIBITED_CONTENT
    assert response.prompt_feedback.block_reason == blocked


def test_generate_content_without_streaming(fake):
    fake.script(["We are ", "closed on Sundays."])

    async def ask():
        channel = grpc.aio.insecure_channel(fake.endpoint.removeprefix("http://"))
        client = GenerativeServiceAsyncClient(
            transport=GenerativeServiceGrpcAsyncIOTransport(channel=channel)
        )
        try:
            return await client.generate_content(
                REQUEST, metadata=[("x-goog-api-key", DEFAULT_KEY)], timeout=5
            )
        finally:
            await channel.close()

    response = asyncio.run(ask())
    assert response.candidates[0].content.parts[0].text == "We are closed on Sundays."
    assert fake.requests[0].method == "GenerateContent"


def test_an_unknown_method_is_unimplemented(fake):
    with grpc.insecure_channel(fake.endpoint.removeprefix("http://")) as channel:
        method = channel.unary_unary(UNARY_METHOD.replace("GenerateContent", "CountTokens"))
        with pytest.raises(grpc.RpcError) as raised:
            method(b"", timeout=5)
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_wait_for_gives_up_in_time(fake):
    started = time.monotonic()
    assert not fake.wait_for(lambda f: len(f.requests) > 0, timeout=0.1)
    assert time.monotonic() - started < 1


def test_split_words_keeps_the_spaces():
    text = "I'd be happy  to help with that. See you soon!"
    chunks = split_words(text, 2)
    assert "".join(chunks) == text and chunks[0] == "I'd be "


def test_the_demo_reply_sounds_like_a_receptionist():
    question = (("model", "Hello!"), ("user", "Do you do beard trims?"))
    request = RecordedRequest("StreamGenerateContent", "models/m", "", question, True, 200, 0.3)
    reply = demo_reply()(request)
    text = "".join(reply.chunks)
    assert text.startswith("(demo Gemini) I'd be happy to help with that.")
    assert "Do you do beard trims" in text
    assert (reply.first_chunk_delay, reply.gap) == (0.3, 0.04)


def test_demo_mode_from_the_command_line(tmp_path):
    log = tmp_path / "emitted.jsonl"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "tests.fakes.gemini", "--port", "0", "--gap", "0.01"]
    command += ["--first-chunk-delay", "0.05", "--log-emitted", str(log)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True).start()
    try:
        banner = lines.get(timeout=30)
        usage = lines.get(timeout=5)
        endpoint = banner.split()[-1]
        assert endpoint.startswith("http://127.0.0.1:")
        assert usage.strip() == f"use: GEMINI_API_KEY=demo GEMINI_API_ENDPOINT={endpoint}"
        text = "".join(asyncio.run(stream_text(endpoint, "demo", "Is there parking?")))
        assert text.startswith("(demo Gemini)") and "Is there parking" in text
        with pytest.raises(GeminiError):
            asyncio.run(stream_text(endpoint, "not-the-demo-key"))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not log.exists():
            time.sleep(0.05)
        first = json.loads(log.read_text().splitlines()[0])
        assert first["request"] == 0 and first["index"] == 0 and first["at"] > 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
