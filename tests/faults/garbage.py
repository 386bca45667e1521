"""Seeded junk for the socket fuzz test: what a broken, hostile or merely odd Retell might send.

`Garbage(rng)` plays one socket. `burst()` gives a list of frames mixing every kind of trouble
(invalid JSON, binary frames, huge strings, wrong types, unknown interaction types, odd
transcripts, duplicated and out-of-order response ids, reminders, update_only floods, junk call
details, pings with good and bad timestamps); `final_request()` gives one well-formed request
that the test waits for. Each `Frame` says what it is by construction, never by parsing it back:
`request` is set only on a well-formed response_required/reminder_required (its id), `ping` only
on a well-formed ping (its timestamp). Everything else must be logged and skipped.

Caller lines never hold an email address, a date or a time, so no junk can complete a booking:
the test checks that the fuzz left the bookings table as it was.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

NOISE = "(unintelligible audio)"
PHRASES = [
    "i'd like to book a haircut",
    "where are you",
    "is there parking",
    "yes",
    "no",
    "um",
    "dana white",
    "what are your hours",
    "how much is a colour",
    "never mind",
    "can i talk to a person",
    "i want to cancel my appointment",
    "say that again",
    "actually i want to move my booking",
    "hello?",
    "a beard trim please",
    "ok",
]
ODD_TEXT = [
    "",
    " ",
    "\t\n",
    NOISE,
    f"{NOISE} {NOISE}",
    "💇‍♀️💈✂️",
    "مرحبا أريد موعدا",
    "日本語で予約",
    "e\u0301\u0301\u0301",
    "zero\u200bwidth\u200d",
    "nul\u0000byte",
    "lone \ud800 surrogate",
    "\udfff",
    "\uffff\ufffe",
    "🙂" * 200,
    "a" * 5000,
    "<script>alert(1)</script>",
    "{{ slot }} ${HOME} %s %(x)s",
    "/greet",
    "/call_started",
    "/restart",
    "/book_appointment",
    "null",
    "NaN",
    "-1",
    "[]",
    "\\u0000",
    "é" * 300,
    "\x7f\x1b[31mred",
]
ROLES = [
    "user",
    "agent",
    "user",
    "agent",
    "system",
    "",
    "User",
    "AGENT",
    "tool_call_result",
    "transfer_target",
    None,
    7,
    ["user"],
]
BAD_IDS = ["7", "-1", -1, -999, True, False, 3.0, 2.5, None, [], {}, "", "1e3", 1e30]
INTERACTION_TYPES = [
    "response_requried",
    "",
    "PING_PONG",
    "Response_Required",
    "ping",
    "call_ended",
    "agent_interrupt",
    "update_only ",
    "\u0000",
    "💬",
]


@dataclass(frozen=True)
class Frame:
    data: str | bytes
    request: int | None = None  # a well-formed request for this response_id
    ping: int | None = None  # a well-formed ping with this timestamp


class Garbage:
    def __init__(self, rng: random.Random, ping_base: int) -> None:
        self.rng = rng
        self.last_id = 0  # the last well-formed request's id (0: the begin message)
        self.top_id = 0  # the highest id used so far
        self.next_ping = ping_base
        self.kinds = [
            (self.invalid_json, 10),
            (self.binary, 6),
            (self.huge, 1),
            (self.wrong_types, 12),
            (self.unknown_type, 6),
            (self.update_only, 10),
            (self.request, 3),
            (self.reminder, 1),
            (self.flood, 1),
            (self.call_details, 6),
            (self.ping, 10),
            (self.bad_ping, 3),
        ]

    # -- the pieces

    def text(self) -> str:
        return self.rng.choice(PHRASES) if self.rng.random() < 0.6 else self.rng.choice(ODD_TEXT)

    def utterance(self) -> object:
        rng = self.rng
        entry: dict = {"role": rng.choice(ROLES), "content": self.text()}
        if rng.random() < 0.2:
            entry["words"] = [{"word": "um", "start": rng.random(), "end": -1}] * rng.randint(0, 50)
        if rng.random() < 0.1:
            entry["extra"] = {"nested": [[[[{}]]]], "n": rng.random()}
        return entry

    def transcript(self, length: int | None = None) -> list:
        n = self.rng.randint(0, 8) if length is None else length
        return [self.utterance() for _ in range(n)]

    def dumps(self, obj: object) -> str:
        # Mostly ASCII-escaped (lone surrogates travel as \ud800 escapes), sometimes raw UTF-8.
        if self.rng.random() < 0.2:
            try:
                return json.dumps(obj, ensure_ascii=False).encode("utf-8").decode("utf-8")
            except UnicodeEncodeError:
                pass
        return json.dumps(obj)

    def _id(self) -> int:
        roll = self.rng.random()
        if roll < 0.15 and self.last_id:
            return self.last_id  # duplicated
        if roll < 0.3 and self.top_id:
            return self.rng.randint(0, self.top_id)  # out of order (or a repeat of an old one)
        return self.top_id + self.rng.randint(1, 3)

    def _well_formed(self, kind: str, rid: int, transcript: list) -> Frame:
        self.last_id, self.top_id = rid, max(self.top_id, rid)
        frame = {"interaction_type": kind, "response_id": rid, "transcript": transcript}
        if self.rng.random() < 0.2:
            frame["timestamp"] = 1  # the docs' stray field
            frame["turntaking"] = self.rng.choice(["user_turn", 5, None])
        return Frame(self.dumps(frame), request=rid)

    # -- the kinds of frame

    def invalid_json(self) -> list[Frame]:
        rng = self.rng
        choices = [
            "",
            "{",
            "}",
            "not json",
            "{'interaction_type': 'ping_pong'}",
            "[1, 2",
            '{"interaction_type": "ping_pong", "timestamp": NaN}',
            "Infinity",
            "nul",
            '{"interaction_type": "response_required", "response_id": 1, "transcript": [}',
            "[" * 5000 + "]" * 5000,
            "[" * 100_000,
            '"' + "x" * 1000,
            "\ufeff{}",
            "{}" * 50,
            json.dumps({"interaction_type": "update_only"})[: -rng.randint(1, 10)],
            "".join(chr(rng.randint(32, 0x2FFF)) for _ in range(rng.randint(1, 200))),
        ]
        return [Frame(rng.choice(choices))]

    def binary(self) -> list[Frame]:
        rng = self.rng
        if rng.random() < 0.5:
            payload = json.dumps({"interaction_type": "ping_pong", "timestamp": 1}).encode()
        else:
            payload = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300)))
        return [Frame(payload)]

    def huge(self) -> list[Frame]:
        rng = self.rng
        size = rng.randint(100_000, 1_000_000)
        blob = rng.choice("ab 🙂é") * size
        wrapped = rng.choice(
            [
                {
                    "interaction_type": "update_only",
                    "transcript": [{"role": "agent", "content": blob}],
                },
                {"interaction_type": "call_details", "call": {"metadata": {"x": blob}}},
                {"interaction_type": blob[:10_000], "response_id": 1},
                {
                    "interaction_type": "update_only",
                    "transcript": [
                        {
                            "role": "user",
                            "content": "hi",
                            "words": [{"word": "w", "start": 0, "end": 1}] * (size // 40),
                        }
                    ],
                },
            ]
        )
        return [Frame(self.dumps(wrapped))]

    def wrong_types(self) -> list[Frame]:
        rng = self.rng
        kind = rng.choice(["response_required", "reminder_required"])
        frame = rng.choice(
            [
                {
                    "interaction_type": kind,
                    "response_id": rng.choice(BAD_IDS),
                    "transcript": self.transcript(),
                },
                {"interaction_type": kind, "transcript": self.transcript()},  # no id
                {"interaction_type": kind, "response_id": self.top_id + 1},  # no transcript
                {
                    "interaction_type": kind,
                    "response_id": self.top_id + 1,
                    "transcript": rng.choice(
                        [
                            "hello",
                            {"role": "user"},
                            5,
                            None,
                            [1, 2],
                            ["hi"],
                            [{"role": "user"}],
                            [{"role": "user", "content": 5}],
                            [{"role": "user", "content": None}],
                        ]
                    ),
                },
                {"interaction_type": rng.choice([None, 5, True, [], {}])},
                {"interaction_type": "update_only", "transcript": rng.choice(["x", None, 3])},
                {"interaction_type": "call_details", "call": rng.choice(["x", None, [], 5])},
                rng.choice(
                    [[], [{"interaction_type": "ping_pong", "timestamp": 1}], "str", 5, None]
                ),
            ]
        )
        return [Frame(self.dumps(frame))]

    def unknown_type(self) -> list[Frame]:
        frame = {
            "interaction_type": self.rng.choice(INTERACTION_TYPES),
            "response_id": self.top_id + 1,
            "transcript": self.transcript(),
        }
        return [Frame(self.dumps(frame))]

    def update_only(self) -> list[Frame]:
        frame: dict = {"interaction_type": "update_only", "transcript": self.transcript()}
        if self.rng.random() < 0.3:
            frame["turntaking"] = self.rng.choice(["agent_turn", "user_turn", "", 5, None])
        if self.rng.random() < 0.2:
            frame["transcript_with_tool_calls"] = [{"role": "tool_call_invocation", "x": 1}]
        return [Frame(self.dumps(frame))]

    def flood(self) -> list[Frame]:
        transcript = self.transcript(self.rng.randint(1, 30))
        frames = []
        for _ in range(self.rng.randint(20, 60)):
            transcript.append(self.utterance())
            frames.append(
                Frame(self.dumps({"interaction_type": "update_only", "transcript": transcript}))
            )
        return frames

    def request(self) -> list[Frame]:
        frame = self._well_formed("response_required", self._id(), self.transcript())
        if self.rng.random() < 0.2:
            return [frame, frame]  # the very same frame twice
        return [frame]

    def reminder(self) -> list[Frame]:
        return [self._well_formed("reminder_required", self._id(), self.transcript())]

    def call_details(self) -> list[Frame]:
        rng = self.rng
        junk = [None, 5, "", "+1abc", "+" + "9" * 40, ["+17185550199"], {"n": 1}, "💇", "\u0000"]
        call = {
            "call_id": rng.choice(junk + ["other-call"]),
            "agent_id": rng.choice(junk),
            "call_type": rng.choice(["phone_call", "web_call", *junk]),
            "from_number": rng.choice(junk + ["+17185550199", "7185550199", "(718) 555-0199"]),
            "to_number": rng.choice(junk),
            "direction": rng.choice(["inbound", *junk]),
            "metadata": rng.choice([{"a": [1, {"b": None}]}, "meta", 5, None, [1]]),
            "retell_llm_dynamic_variables": rng.choice([{"k": "v", "n": 5}, "x", None]),
        }
        return [Frame(self.dumps({"interaction_type": "call_details", "call": call}))]

    def ping(self) -> list[Frame]:
        self.next_ping += 1
        stamp = self.next_ping
        return [
            Frame(json.dumps({"interaction_type": "ping_pong", "timestamp": stamp}), ping=stamp)
        ]

    def bad_ping(self) -> list[Frame]:
        stamp = self.rng.choice(["123", 1.5, None, True, [], {}, "NaN"])
        frame = {"interaction_type": "ping_pong", "timestamp": stamp}
        if self.rng.random() < 0.3:
            frame = {"interaction_type": "ping_pong"}
        return [Frame(self.dumps(frame))]

    # -- what the test uses

    def burst(self, budget: int) -> list[Frame]:
        """1 to `budget` (at most 120) frames of mixed junk."""
        functions, weights = zip(*self.kinds)
        frames: list[Frame] = []
        want = self.rng.randint(1, min(budget, 120))
        while len(frames) < want:
            frames.extend(self.rng.choices(functions, weights)[0]())
        return frames[:want]

    def final_request(self) -> Frame:
        """A well-formed request with a new id and something to answer: the test waits for it."""
        rng = self.rng
        kind = "reminder_required" if rng.random() < 0.2 else "response_required"
        rid = self.top_id + rng.randint(1, 3)
        transcript = self.transcript(rng.randint(0, 4))
        transcript.append({"role": "user", "content": self.text()})
        return self._well_formed(kind, rid, transcript)

    def oversized(self) -> Frame:
        """One frame above the channel's 8 MiB limit (below Sanic's 16 MiB): skipped whole."""
        blob = "x" * (9 * 1024 * 1024)
        return Frame(
            json.dumps(
                {
                    "interaction_type": "update_only",
                    "transcript": [{"role": "user", "content": blob}],
                }
            )
        )
