"""Gemini's configuration, read from the environment once and validated (pure but for `from_env`).

GEMINI_API_KEY              unset or empty: no Gemini (the fallback answers from the FAQ)
GEMINI_MODEL                gemini-2.5-flash-lite (with or without "models/")
GEMINI_API_ENDPOINT         https://generativelanguage.googleapis.com; https://host[:port] is
                            TLS, http://host:port plain gRPC (a local gateway, the fake)
GEMINI_FIRST_CHUNK_TIMEOUT  1.5 s to the first text, retries included
GEMINI_TIMEOUT              8 s for the whole stream (the gRPC deadline)
GEMINI_STALL_TIMEOUT        3 s of silence tolerated between two chunks
GEMINI_RETRIES              1 extra attempt before the first chunk, UNAVAILABLE/INTERNAL only
GEMINI_MAX_OUTPUT_TOKENS    200
GEMINI_TEMPERATURE          0.3

The key is kept out of the dataclass's repr, so logging the settings never shows it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_MODEL = "gemini-2.5-flash-lite"
DEFAULT_ENDPOINT = "https://generativelanguage.googleapis.com"


def parse_endpoint(endpoint: str) -> tuple[str, bool]:
    """ "http://127.0.0.1:50051" → ("127.0.0.1:50051", False); "https://h" → ("h:443", True).

    A bare host means TLS, as in Google's clients; plain http needs an explicit port.
    """
    url = urlsplit(endpoint.strip() if "://" in endpoint else f"https://{endpoint.strip()}")
    try:
        port = url.port
    except ValueError:
        port = -1
    if (
        url.scheme not in ("http", "https")
        or not url.hostname
        or url.path not in ("", "/")
        or url.query
        or url.username
        or port == -1
        or (url.scheme == "http" and port is None)
    ):
        raise ValueError(
            "GEMINI_API_ENDPOINT: expected https://host[:port] or http://host:port, "
            f"got {endpoint!r}"
        )
    host = f"[{url.hostname}]" if ":" in url.hostname else url.hostname
    return f"{host}:{port or 443}", url.scheme == "https"


@dataclass(frozen=True)
class GeminiSettings:
    api_key: str | None = field(default=None, repr=False)  # None: no Gemini, answer from the FAQ
    model: str = DEFAULT_MODEL
    endpoint: str = DEFAULT_ENDPOINT
    first_chunk_timeout: float = 1.5  # a caller hears silence meanwhile
    timeout: float = 8.0  # the whole stream (the gRPC deadline); the library's default is 600 s
    stall_timeout: float = 3.0  # longest silence between two chunks once text has started
    retries: int = 1  # extra attempts, only before the first chunk, only for TRANSIENT codes
    max_output_tokens: int = 200  # two or three spoken sentences, with room to spare
    temperature: float = 0.3  # a receptionist, not a poet

    def __post_init__(self) -> None:
        parse_endpoint(self.endpoint)
        for name in ("first_chunk_timeout", "timeout", "stall_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}: must be more than 0 seconds, got {getattr(self, name)}")
        if not 0 <= self.retries <= 5:
            raise ValueError(f"retries: expected 0 to 5, got {self.retries}")
        if self.max_output_tokens < 1:
            raise ValueError(f"max_output_tokens: must be at least 1, got {self.max_output_tokens}")
        if not 0 <= self.temperature <= 2:
            raise ValueError(f"temperature: expected 0 to 2, got {self.temperature}")

    @property
    def enabled(self) -> bool:
        return bool(self.api_key)

    @property
    def model_path(self) -> str:
        return self.model if self.model.startswith("models/") else f"models/{self.model}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GeminiSettings:
        """Read GEMINI_* variables; unset or empty ones keep the defaults. Raises ValueError
        naming the variable when one cannot be used."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def number(name: str, default: float, kind: type = float) -> float:
            raw = get(name)
            if raw is None:
                return default
            try:
                return kind(raw)
            except ValueError:
                unit = "a whole number" if kind is int else "a number"
                raise ValueError(f"{name}: expected {unit}, got {raw!r}") from None

        return cls(
            api_key=get("GEMINI_API_KEY"),
            model=get("GEMINI_MODEL") or DEFAULT_MODEL,
            endpoint=get("GEMINI_API_ENDPOINT") or DEFAULT_ENDPOINT,
            first_chunk_timeout=number("GEMINI_FIRST_CHUNK_TIMEOUT", cls.first_chunk_timeout),
            timeout=number("GEMINI_TIMEOUT", cls.timeout),
            stall_timeout=number("GEMINI_STALL_TIMEOUT", cls.stall_timeout),
            retries=int(number("GEMINI_RETRIES", cls.retries, int)),
            max_output_tokens=int(number("GEMINI_MAX_OUTPUT_TOKENS", cls.max_output_tokens, int)),
            temperature=number("GEMINI_TEMPERATURE", cls.temperature),
        )
