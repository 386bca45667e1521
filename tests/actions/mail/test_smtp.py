"""SMTP_URL parsing and one delivery against a real aiosmtpd: plain, STARTTLS and TLS (trustme's
throwaway CA), refusals classified permanent or transient."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
import trustme

from actions.mail import smtp
from actions.mail.smtp import PermanentSmtpError, SmtpConfig, SmtpUrlError, TransientSmtpError
from tests.actions.mail.smtp_server import Recorder, SmtpServer, authenticator, free_port


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp+starttls://me%40x.com:p%40ss%3Aw@mail.example.com",
            SmtpConfig("smtp+starttls", "mail.example.com", 587, "me@x.com", "p@ss:w"),
        ),
        (
            "smtps://user:secret@mail.example.com",
            SmtpConfig("smtps", "mail.example.com", 465, "user", "secret"),
        ),
        (
            "SMTPS://user:secret@mail.example.com:2465/",
            SmtpConfig("smtps", "mail.example.com", 2465, "user", "secret"),
        ),
        ("smtp://localhost", SmtpConfig("smtp", "localhost", 25)),
        ("smtp://relay@10.0.0.5:2525", SmtpConfig("smtp", "10.0.0.5", 2525, "relay")),
        ("smtp+starttls://u:@[::1]:1587", SmtpConfig("smtp+starttls", "::1", 1587, "u", "")),
    ],
)
def test_parse_smtp_url(url: str, expected: SmtpConfig) -> None:
    assert smtp.parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example.com", "expected the scheme"),
        ("mail.example.com:587", "expected the scheme"),
        ("smtp+starttls://user:pw@", "expected a host"),
        ("smtps://user:pw@host:notaport", "expected smtp\\+starttls://"),
        ("smtps://user:pw@host:99999", "expected smtp\\+starttls://"),
        ("smtp+starttls://user:pw@host:587?starttls=true", "no path, query"),
        ("smtp+starttls://user:pw@host/x", "no path, query"),
        ("smtp://user:secret@mail.example.com", "in clear"),
        ("smtps://:secret@mail.example.com", "user name"),
    ],
)
def test_bad_urls_say_what_is_expected(url: str, message: str) -> None:
    with pytest.raises(SmtpUrlError, match=message) as error:
        smtp.parse_smtp_url(url)
    assert "secret" not in str(error.value) and "pw@" not in str(error.value)


def test_display_hides_the_password() -> None:
    config = smtp.parse_smtp_url("smtps://bookings%40bella.example:hunter2@mail.example.com")
    assert config.display() == "smtps://b***@b***.example:***@mail.example.com:465"
    assert "hunter2" not in repr(config)
    assert smtp.parse_smtp_url("smtp://[::1]").display() == "smtp://[::1]:25"


def message(to: str = "jane@example.com") -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "bookings@bella.example", to, "hello"
    mail.set_content("hi")
    return mail


def test_plain_delivery() -> None:
    with SmtpServer() as server:
        smtp.deliver(SmtpConfig("smtp", "127.0.0.1", server.port), message(), timeout=5)
        (received,) = server.recorder.wait_for(1)
    assert received.mail_from == "bookings@bella.example"
    assert received.rcpt_tos == ("jane@example.com",)
    assert received.message["Subject"] == "hello"


def test_nothing_listening_is_transient() -> None:
    with pytest.raises(TransientSmtpError, match="ConnectionRefused"):
        smtp.deliver(SmtpConfig("smtp", "127.0.0.1", free_port()), message(), timeout=5)


def test_a_refused_recipient_is_permanent() -> None:
    refused = pytest.raises(PermanentSmtpError, match="recipient refused \\(550\\)")
    with SmtpServer(recorder=Recorder(refuse_rcpt=True)) as server, refused as error:
        smtp.deliver(SmtpConfig("smtp", "127.0.0.1", server.port), message(), timeout=5)
    assert "jane" not in str(error.value)


@pytest.fixture(scope="module")
def tls() -> Iterator[tuple[ssl.SSLContext, ssl.SSLContext]]:
    """(server context, client context trusting the throwaway CA)."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    yield server, client


def test_starttls_with_login(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls
    recorder = Recorder()
    options = {
        "tls_context": server_ctx,
        "require_starttls": True,
        "auth_required": True,
        "authenticator": authenticator("me", "s3cret", recorder),
    }
    with SmtpServer(recorder=recorder, **options) as server:
        config = SmtpConfig("smtp+starttls", "127.0.0.1", server.port, "me", "s3cret")
        smtp.deliver(config, message(), timeout=5, ssl_context=client_ctx)
        assert len(recorder.wait_for(1)) == 1 and recorder.logins == ["me"]
        wrong = SmtpConfig("smtp+starttls", "127.0.0.1", server.port, "me", "nope")
        with pytest.raises(TransientSmtpError, match="login refused") as error:
            smtp.deliver(wrong, message(), timeout=5, ssl_context=client_ctx)
        assert "nope" not in str(error.value)
        with pytest.raises(TransientSmtpError, match="SSLCertVerificationError"):
            smtp.deliver(config, message(), timeout=5)  # the system store does not know the CA


def test_starttls_not_offered_never_falls_back_to_clear_text() -> None:
    with SmtpServer() as server:
        config = SmtpConfig("smtp+starttls", "127.0.0.1", server.port, "me", "s3cret")
        with pytest.raises(TransientSmtpError, match="does not offer STARTTLS"):
            smtp.deliver(config, message(), timeout=5)
        assert server.recorder.count() == 0


# aiosmtpd warns about AUTH without STARTTLS; this connection is TLS from the first byte.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_with_login(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls
    recorder = Recorder()
    options = {
        "ssl_context": server_ctx,
        "auth_required": True,
        "auth_require_tls": False,
        "authenticator": authenticator("me", "s3cret", recorder),
    }
    with SmtpServer(recorder=recorder, **options) as server:
        config = SmtpConfig("smtps", "127.0.0.1", server.port, "me", "s3cret")
        smtp.deliver(config, message(), timeout=5, ssl_context=client_ctx)
        assert len(recorder.wait_for(1)) == 1 and recorder.logins == ["me"]
