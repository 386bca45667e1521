"""A streaming cleaner that turns a language model's reply into text fit to be spoken (pure).

Theory of operation. `SpokenReply.feed(chunk)` buffers raw text and returns every sentence that
has just completed, cleaned, so text-to-speech can start on the first sentence while the rest is
still being generated; `finish()` flushes what is left. Only whole sentences are cleaned, so a
word, a `**` or an emoji split across chunks is handled like any other. The pieces carry their own
separating space: joining everything returned gives the cleaned reply.

A sentence ends at ".", "!", "?" or "..." followed by whitespace, or at a line end (a list item or
heading becomes a sentence of its own and gets a period). Not at "$40.00" (no whitespace), after
"Dr." or "e.g.", nor after "9 a.m." or "etc." unless a capital letter follows, nor after a list's
"1." at a line start. Ending a sentence too early would only make it be spoken a little sooner;
the text stays the same.

Cleaning: markdown markers (`**`, `#`, backticks, `~~`, `_emphasis_`, quotes and list bullets or
numbers at line starts) go, links keep their words, bare URLs shrink to their host
("https://www.bella.com/book" → "bella.com"), emoji go, whitespace collapses.

The cap: after `max_sentences` sentences, or when the next one would pass `max_chars`, `capped`
turns True and nothing more is returned; the caller then stops the stream. A first sentence longer
than `max_chars` is cut at a word.
"""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?P<end>[.!?…]+[\"'”’)\]*_`~]*)(?P<ws>\s+)|\n")
# Never the end of a sentence: titles and Latin abbreviations that go on.
_NEVER = frozenset({"dr", "mr", "mrs", "ms", "prof", "e.g", "i.e", "vs", "approx", "cf"})
# The end of a sentence only when a capital letter follows ("9 a.m. See you" vs "9 a.m. on").
_MAYBE = frozenset({"a.m", "p.m", "etc", "inc", "ltd", "co", "st", "ave", "rd", "jr", "sr", "u.s"})
_LINE_START = re.compile(r"^\s*(?:(?:#{1,6}|>|[-*+•–]|\d{1,3}[.)])\s+)+")
_LINK = re.compile(r"\[([^\]\n]*)\]\(([^)\s]*)\)")
_HOST = r"(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?::\d+)?"
_PATH = r"(?:[/?#](?:\S*[^\s.,!?;:)\]'\"*_])?)?"
_URL = re.compile(rf"\b(?:https?://(?:www\.)?|www\.){_HOST}{_PATH}")
_MARKERS = re.compile(r"[*`~#|]+|(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])")
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2190-\u21ff\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff"
    "\ufe0e\ufe0f\u200d\u20e3\U000e0020-\U000e007f]"
)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,!?;:])")
_ENDS = (".", "!", "?", ":", ";", ",", "…")


def _clean_segment(raw: str, at_line_start: bool) -> str:
    """One sentence (no newline inside) as it should be spoken."""
    if at_line_start:
        raw = _LINE_START.sub("", raw)
    text = _LINK.sub(lambda m: m.group(1) or m.group(2), raw)
    text = _URL.sub(lambda m: m.group("host"), text)
    text = _EMOJI.sub("", _MARKERS.sub("", text))
    text = " ".join(text.split())
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text)


def _cut(text: str, limit: int) -> str:
    """`text` cut at a word to at most `limit` characters, ending with a period."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    head = head[: head.rfind(" ")] if " " in head else head
    return head.rstrip(" ,;:-") + "."


class SpokenReply:
    """See the module docstring. One instance per reply; not thread-safe."""

    def __init__(self, max_sentences: int = 3, max_chars: int = 400) -> None:
        if max_sentences < 1 or max_chars < 20:
            raise ValueError(
                f"expected max_sentences >= 1 and max_chars >= 20, got {max_sentences}, {max_chars}"
            )
        self.max_sentences = max_sentences
        self.max_chars = max_chars
        self.capped = False
        self._buffer = ""
        self._at_line_start = True  # the buffer starts at the beginning of a line
        self._sentences = 0
        self._chars = 0

    @property
    def spoken_chars(self) -> int:
        return self._chars

    def feed(self, chunk: str) -> str:
        """Whatever is ready to speak now ("" until a sentence completes, or once capped)."""
        if self.capped:
            return ""
        self._buffer += chunk
        out = []
        while not self.capped and (segment := self._next_segment()) is not None:
            raw, at_line_start, line_end = segment
            text = _clean_segment(raw, at_line_start)
            if line_end and text and not text.endswith(_ENDS):
                text += "."
            out.append(self._emit(text))
        # A run-on without a sentence end must not grow past the cap unnoticed.
        if not self.capped and len(self._buffer) > self.max_chars:
            text = _clean_segment(self._buffer, self._at_line_start)
            if self._chars + len(text) + 1 > self.max_chars:
                out.append(self._emit(text))
        return "".join(out)

    def finish(self) -> str:
        """The rest of the reply, once the stream has ended."""
        rest, self._buffer = self._buffer, ""
        if self.capped:
            return ""
        return self._emit(_clean_segment(rest, self._at_line_start))

    def _emit(self, text: str) -> str:
        if not text or self.capped:
            return ""
        piece = f" {text}" if self._sentences else text
        if self._chars + len(piece) > self.max_chars:
            self.capped = True
            self._buffer = ""
            if self._sentences:
                return ""  # the sentence that does not fit is dropped whole
            piece = _cut(text, self.max_chars)
        self._sentences += 1
        self._chars += len(piece)
        if self._sentences >= self.max_sentences:
            self.capped = True
            self._buffer = ""
        return piece

    def _next_segment(self) -> tuple[str, bool, bool] | None:
        """Take the next complete sentence off the buffer: (raw text, starts a line, ends a
        line), or None when the buffer holds no sentence end yet (or cannot tell yet)."""
        buffer, pos = self._buffer, 0
        while (match := _BOUNDARY.search(buffer, pos)) is not None:
            line_end = match.group("end") is None
            if line_end:
                verdict, raw = True, buffer[: match.start()]
            else:
                verdict, raw = self._ends_sentence(match), buffer[: match.end("end")]
            if verdict is None:
                return None
            if verdict:
                at_line_start = self._at_line_start
                self._buffer = buffer[match.end() :]
                self._at_line_start = line_end or "\n" in (match.group("ws") or "")
                return raw, at_line_start, line_end
            pos = match.end("end")
        return None

    def _ends_sentence(self, match: re.Match[str]) -> bool | None:
        """Does this terminator end a sentence? None: it depends on text not received yet."""
        term = match.group("end").rstrip("\"'”’)]*_`~")
        if "!" in term or "?" in term:
            return True
        before = self._buffer[: match.start()]
        raw_token = re.search(r"\S*$", before).group()
        token = raw_token.lstrip("*_(\"'[`“‘").lower()
        if token in _NEVER:
            return False
        if token.isdigit():  # "1. Haircut" at a line start numbers a list
            head = before[: len(before) - len(raw_token)].rsplit("\n", 1)
            if (len(head) == 2 or self._at_line_start) and not head[-1].strip():
                return False
        if term != "." or token in _MAYBE or (len(token) == 1 and token.isalpha()):
            following = self._buffer[match.end() : match.end() + 1]
            return following.isupper() if following else None
        return True


def clean(text: str, *, max_sentences: int | None = None, max_chars: int | None = None) -> str:
    """A whole text made speakable, the same way as a stream (uncapped unless asked)."""
    reply = SpokenReply(max_sentences or 10**6, max_chars or 10**9)
    return reply.feed(text) + reply.finish()


def first_sentences(text: str, count: int) -> str:
    """`text` cut after `count` sentences, by the same sentence rules as a streamed reply."""
    reply = SpokenReply(max_sentences=count)
    return (reply.feed(text) + reply.finish()).strip()
