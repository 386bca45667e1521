"""Text made fit for a voice: what the assistant writes → what text-to-speech should read.

Markdown, bullets, emoji and URLs read out loud sound broken ("asterisk asterisk"). Pure
functions, used by the Retell output channel on every line it sends.
"""

from __future__ import annotations

import re

_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\U00002b00-\U00002bff"
    "\U0000fe0f\U0000200d]+"
)
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`|~~)(?=\S)(.+?)(?<=\S)\1")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+", re.MULTILINE)
_HEADING = re.compile(r"^\s*#{1,6}\s*", re.MULTILINE)
_URL = re.compile(r"https?://\S+")


def for_speech(text: str | None) -> str:
    """One line for TTS: no markdown, emoji, URLs or line breaks; sentences kept."""
    if not text:
        return ""
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _HEADING.sub("", text)
    text = _BULLET.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _EMOJI.sub("", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # A list item without a full stop would run into the next one when read out.
    joined = " ".join(line if line[-1] in ".!?:," else line + "." for line in lines)
    return re.sub(r"\s{2,}", " ", joined).strip()
