"""SMTP: where mails go (`SMTP_URL`, parsed and checked) and one delivery over smtplib.

URL schemes, one per transport security (user and password percent-encoded when they hold
`@`, `:` or `/`):
- `smtp+starttls://user:password@host[:587]` — plain connection upgraded with STARTTLS, which
  the server must offer (never falls back to clear text);
- `smtps://user:password@host[:465]` — TLS from the first byte;
- `smtp://host[:25]` — no encryption, for a relay on the same machine or network; it refuses a
  password, which would cross the network in clear.
No path or query is accepted. `SmtpConfig.display()` hides the password for logs and messages.

Errors are classified for the retry policy: `PermanentSmtpError` when the server refused this
message or its recipient with a 5xx code (trying again cannot help), `TransientSmtpError` for
everything else — no connection, timeouts, 4xx replies, and also a refused login or sender
(5xx too, but an operator's mistake, fixed by correcting the configuration: those mails must
wait, not be given up). Not here: what the mail says (confirmation.py), when to retry (sender.py).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from common.logsafe import mask_email

PLAIN, STARTTLS, TLS = "smtp", "smtp+starttls", "smtps"
DEFAULT_PORTS = {PLAIN: 25, STARTTLS: 587, TLS: 465}


class SmtpUrlError(ValueError):
    """SMTP_URL is not one this module can use; the message says what was expected."""


class SmtpError(Exception):
    """A delivery failed. `str()` never holds an address: it is safe for logs and last_error."""


class TransientSmtpError(SmtpError):
    """Worth retrying later."""


class PermanentSmtpError(SmtpError):
    """The server refused this message for good."""


@dataclass(frozen=True)
class SmtpConfig:
    scheme: str
    host: str
    port: int
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    def display(self) -> str:
        """The URL with the password replaced by *** (and a user that is an address masked)."""
        auth = ""
        if self.user is not None:
            user = mask_email(self.user) if "@" in self.user else self.user
            auth = f"{user}:***@" if self.password is not None else f"{user}@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{auth}{host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpConfig:
    """SMTP_URL → SmtpConfig, or SmtpUrlError saying what is wrong (never quoting a password)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise SmtpUrlError(
            f"expected smtp+starttls://user:password@host:587, got {error}"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise SmtpUrlError(
            f"expected the scheme smtp+starttls://, smtps:// or smtp://, got {scheme or 'none'!r}"
        )
    if not parts.hostname:
        raise SmtpUrlError(f"expected a host, as in {scheme}://user:password@smtp.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SmtpUrlError("expected no path, query or fragment after the host and port")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and user is None:
        raise SmtpUrlError("expected a user name with the password (user:password@host)")
    if scheme == PLAIN and password is not None:
        raise SmtpUrlError(
            "smtp:// is unencrypted and would send the password in clear: "
            "use smtp+starttls:// (port 587) or smtps:// (port 465)"
        )
    return SmtpConfig(scheme, parts.hostname, port or DEFAULT_PORTS[scheme], user, password)


def deliver(
    config: SmtpConfig,
    message: EmailMessage,
    *,
    timeout: float = 30.0,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Send one message over a fresh connection; raises TransientSmtpError or
    PermanentSmtpError. `ssl_context` defaults to the system's trust store with host checks."""
    context = ssl_context or ssl.create_default_context()
    try:
        if config.scheme == TLS:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=timeout, context=context
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=timeout)
        with client:
            if config.scheme == STARTTLS:
                client.ehlo()
                if not client.has_extn("starttls"):
                    raise TransientSmtpError("the server does not offer STARTTLS")
                client.starttls(context=context)
                client.ehlo()
            if config.user is not None:
                client.login(config.user, config.password or "")
            client.send_message(message)
    except SmtpError:
        raise
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        kind = PermanentSmtpError if all(500 <= c < 600 for c in codes) else TransientSmtpError
        raise kind(f"recipient refused ({', '.join(map(str, codes))})") from None
    except smtplib.SMTPDataError as error:
        kind = PermanentSmtpError if 500 <= error.smtp_code < 600 else TransientSmtpError
        raise kind(f"message refused ({error.smtp_code})") from None
    except smtplib.SMTPAuthenticationError as error:
        raise TransientSmtpError(f"login refused ({error.smtp_code}): check SMTP_URL") from None
    except smtplib.SMTPSenderRefused as error:
        raise TransientSmtpError(f"sender refused ({error.smtp_code}): check SMTP_FROM") from None
    except smtplib.SMTPResponseException as error:
        raise TransientSmtpError(f"server replied {error.smtp_code}") from None
    except (TimeoutError, smtplib.SMTPException, OSError, ssl.SSLError) as error:
        # Connection refused, reset, timeout, TLS handshake: the server is (for now) unreachable.
        raise TransientSmtpError(f"{type(error).__name__}: {_first_line(error)}") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else "no detail"
