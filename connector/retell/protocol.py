"""One call's Retell custom-LLM protocol, sans-IO: text frames in, events out; calls in, frames out.

Theory of operation
-------------------
`CallProtocol` is the whole wire contract of one call's socket, in the style of h11/wsproto: it
never touches a socket, a clock or a task. The connector feeds it every text frame with
`receive(text)` and gets events back; when it wants to speak it asks for a frame (`start`,
`send_text`, `close`, `pong`) and writes whatever comes back, in order, through its one sender.

What it keeps:
- the newest requested `response_id` (0, the begin message, after `start`). Retell accepts content
  only for the id it requested last, and only until that response is complete, so `send_text` and
  `close` return None for any other id, or once it is closed: the caller never has to check.
- that response's phase (requested → open → closed) and the one action latched on it (end_call,
  transfer_number or digit_to_press: Retell runs at most one per response). Within a frame the
  highest wins (end_call, then transfer, then digits); once one is latched, any other is dropped;
  every drop is noted in `pop_notes()`,
- the latest transcript (every update_only and request carries the whole call) and call details.

What it derives: a `response_required`/`reminder_required` becomes `TurnRequested` with the new
caller text (user lines after the last agent line), `superseded` (the previous id, if it was not
closed: stop its work, never send for it again) and `unheard` (the previous turn whose caller text
this one repeats because no agent line was heard after it: undo that turn before this one).
`update_only` never supersedes. A bad frame from Retell is a `Malformed` event to log, never an
exception and never a reason to close; misuse by our own code raises `LocalProtocolError`.

Not here: sockets, asyncio, timers (begin-message timeout, watchdog), Rasa. `agent_interrupt`,
tool-call, `update_agent` and `metadata` frames are built directly from connector.retell.frames; an
interrupt is not tracked here (it makes Retell drop the response in flight).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from connector.retell.frames import (
    ACTIONS,
    DEFAULT_MAX_FRAME_BYTES,
    CallDetails,
    CallInfo,
    ConfigFrame,
    PingPong,
    PingPongFrame,
    ProtocolError,
    ReminderRequired,
    ResponseFrame,
    ResponseRequired,
    Role,
    Transcript,
    Unknown,
    UpdateOnly,
    Utterance,
    parse_inbound,
)

UNINTELLIGIBLE = "(unintelligible audio)"


# ---------------------------------------------------------------------------- transcript rules


def is_unintelligible(text: str | None) -> bool:
    """True for empty or blank text and for Retell's "(unintelligible audio)" marker(s) alone."""
    return not (text or "").casefold().replace(UNINTELLIGIBLE, "").strip()


def _is_agent_line(utterance: Utterance) -> bool:
    # An agent entry with no words was not heard: it neither ends the caller's text nor counts.
    return utterance.role is Role.AGENT and bool(utterance.content.strip())


def agent_lines(transcript: Transcript) -> int:
    """How many agent lines the caller has heard (non-blank agent utterances)."""
    return sum(1 for u in transcript if _is_agent_line(u))


def new_caller_text(transcript: Transcript) -> str:
    """Every user utterance after the last agent line, stripped and joined with a space.

    Unintelligible or blank utterances are left out ("" if nothing intelligible remains);
    Role.OTHER entries are neither caller text nor a boundary. The text is kept as said: a
    line that looks like a command ("/restart", `/inform{"email": ...}`) is refused by the
    session before Rasa sees it (common/caller_text.py), and the caller hears the say-again line.
    """
    start = 0
    for i, utterance in enumerate(transcript):
        if _is_agent_line(utterance):
            start = i + 1
    text = " ".join(
        u.content.strip()
        for u in transcript[start:]
        if u.role is Role.USER and not is_unintelligible(u.content)
    )
    return text.strip()


def reply_heard(requested: Transcript, now: Transcript) -> bool:
    """Did the caller hear an agent line after the caller text of the turn asked with `requested`?

    Compared by agent-line count, not by text: speech recognition revises an utterance in place
    ("my name is Mike" becomes "my name is Mike Trump"), so the old caller text need not appear
    verbatim, while the transcript is cumulative and agent lines never disappear. False means the
    last agent line is the same one, so `new_caller_text(now)` repeats the old turn's text.
    """
    return agent_lines(now) > agent_lines(requested)


# ---------------------------------------------------------------------------- events


class TurnKind(str, Enum):
    RESPONSE = "response"
    REMINDER = "reminder"


@dataclass(frozen=True)
class TurnRequested:
    response_id: int
    kind: TurnKind
    caller_text: str  # "" for a reminder, or when the caller made only noise
    transcript: Transcript
    superseded: int | None = None  # previous id, not closed: cancel its work, never send for it
    unheard: int | None = None  # previous turn repeated in caller_text: undo it first


@dataclass(frozen=True)
class PingReceived:
    timestamp: int  # answer at once with pong(timestamp)


@dataclass(frozen=True)
class Ignored:
    reason: str


@dataclass(frozen=True)
class Malformed:
    reason: str


Event = TurnRequested | PingReceived | CallDetails | UpdateOnly | Ignored | Malformed


class LocalProtocolError(RuntimeError):
    """Our own code broke the protocol's order (e.g. sent before `start`, started twice)."""


class _Phase(Enum):
    REQUESTED = "requested"  # asked for, nothing sent yet
    OPEN = "open"  # content sent, not complete
    CLOSED = "closed"  # content_complete sent


@dataclass(frozen=True)
class _Turn:
    response_id: int
    caller_text: str
    transcript: Transcript


# ---------------------------------------------------------------------------- the call


class CallProtocol:
    """One socket of one call (a reconnect gets a new one, started with reconnect=True)."""

    def __init__(
        self,
        config: ConfigFrame | None = None,
        *,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    ) -> None:
        if not isinstance(max_frame_bytes, int) or max_frame_bytes <= 0:
            raise ValueError(f"max_frame_bytes: expected positive integer, got {max_frame_bytes!r}")
        self.config = config or ConfigFrame(auto_reconnect=True, call_details=True)
        self.max_frame_bytes = max_frame_bytes
        self.call: CallInfo | None = None
        self.transcript: Transcript = ()
        self.turntaking: str | None = None
        self._started = False
        self._current: int | None = None
        self._phase = _Phase.CLOSED
        self._action: str | None = None
        self._last_turn: _Turn | None = None
        self._notes: list[str] = []

    # -- state

    @property
    def current_response_id(self) -> int | None:
        return self._current

    @property
    def open_response_id(self) -> int | None:
        """The current response if content went out and it is not complete yet."""
        return self._current if self._phase is _Phase.OPEN else None

    def is_current(self, response_id: int) -> bool:
        """True for the id Retell requested last (closed or not); older ids are stale."""
        return self._current is not None and response_id == self._current

    def is_sendable(self, response_id: int) -> bool:
        return self.is_current(response_id) and self._phase is not _Phase.CLOSED

    def pop_notes(self) -> list[str]:
        """Things the protocol corrected on our side (dropped flags), for the log."""
        notes, self._notes = self._notes, []
        return notes

    # -- inbound

    def receive(self, text: str | bytes) -> list[Event]:
        """One frame from Retell → its events (one per frame today). Never raises."""
        parsed = parse_inbound(text, self.max_frame_bytes)
        if isinstance(parsed, ProtocolError):
            return [Malformed(parsed.reason)]
        if isinstance(parsed, PingPong):
            return [PingReceived(parsed.timestamp)]
        if isinstance(parsed, CallDetails):
            self.call = parsed.call
            return [parsed]
        if isinstance(parsed, UpdateOnly):
            self.transcript = parsed.transcript
            if parsed.turntaking is not None:
                self.turntaking = parsed.turntaking
            return [parsed]
        if isinstance(parsed, (ResponseRequired, ReminderRequired)):
            return [self._request(parsed)]
        assert isinstance(parsed, Unknown)
        return [Ignored(f"unknown interaction_type {parsed.interaction_type!r}")]

    def _request(self, request: ResponseRequired | ReminderRequired) -> Event:
        rid = request.response_id
        self.transcript = request.transcript
        if self.is_current(rid):
            return Ignored(f"repeated request for current response_id {rid}")
        # Retell answers only its most recent request, so the last one received wins.
        superseded = self._current if self._phase is not _Phase.CLOSED else None
        last, unheard = self._last_turn, None
        if last and last.caller_text and not reply_heard(last.transcript, self.transcript):
            unheard = last.response_id
        kind = TurnKind.RESPONSE if isinstance(request, ResponseRequired) else TurnKind.REMINDER
        caller_text = new_caller_text(request.transcript)
        self._current, self._phase, self._action = rid, _Phase.REQUESTED, None
        self._last_turn = _Turn(rid, caller_text, request.transcript)
        return TurnRequested(rid, kind, caller_text, request.transcript, superseded, unheard)

    # -- outbound

    def start(self, greet: bool = True) -> list[ConfigFrame | ResponseFrame]:
        """The opening frames: config first; without `greet` also an empty, complete response 0.

        With `greet` (a new call) response 0 stays requested: the greeting comes later via
        send_text(0, ...). Without it (a reconnect, or no greeting configured) nothing is said,
        but Retell waits for response 0 before it lets the caller speak.
        """
        if self._started:
            raise LocalProtocolError("start() called twice on one socket")
        self._started = True
        frames: list[ConfigFrame | ResponseFrame] = [self.config]
        if self._current is None:  # no request raced ahead of our config
            self._current, self._phase = 0, _Phase.REQUESTED
        if not greet:
            frames.append(ResponseFrame(0, "", True))
            if self._current == 0:
                self._phase = _Phase.CLOSED
        return frames

    def send_text(
        self,
        response_id: int,
        text: str,
        *,
        complete: bool = False,
        end_call: bool | None = None,
        transfer_number: str | None = None,
        no_interruption_allowed: bool | None = None,
        digit_to_press: str | None = None,
    ) -> ResponseFrame | None:
        """A chunk for `response_id` (chunks carry their own spaces), or None if that id is stale or
        already complete. `complete=True` makes it the last chunk."""
        if not self._started:
            raise LocalProtocolError("send_text() before start(): config must go first")
        if not self.is_sendable(response_id):
            return None
        wanted = {"end_call": end_call, "transfer_number": transfer_number}
        flags, notes = self._one_action(response_id, {**wanted, "digit_to_press": digit_to_press})
        frame = ResponseFrame(
            response_id, text, complete, no_interruption_allowed=no_interruption_allowed, **flags
        )
        self._phase = _Phase.CLOSED if complete else _Phase.OPEN
        if self._action is None:
            self._action = next((n for n in ACTIONS if flags[n] not in (None, False)), None)
        self._notes.extend(notes)
        return frame

    def _one_action(self, response_id: int, flags: dict) -> tuple[dict, list[str]]:
        """At most one action per response: the highest in this frame, unless one is latched."""
        wanted = [name for name in ACTIONS if flags[name] not in (None, False)]
        keep = self._action or (wanted[0] if wanted else None)
        notes = []
        for name in wanted:
            if name != keep:
                notes.append(
                    f"response {response_id}: dropped {name}={flags[name]!r}, "
                    f"{keep} already applies (at most one action per response)"
                )
                flags[name] = None
        return flags, notes

    def close(self, response_id: int) -> ResponseFrame | None:
        """The closing frame (empty, content_complete) or None if stale or already closed."""
        return self.send_text(response_id, "", complete=True)

    def pong(self, timestamp: int) -> PingPongFrame:
        return PingPongFrame(timestamp)
