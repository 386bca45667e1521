"""Personal data never reaches a log in clear: the masks, and the process-wide record factory."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from common.logsafe import mask_email, mask_phone, scrub


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("jane.doe@example.com", "j***@e***.com"),
        ("a@b.co.uk", "a***@b***.co.uk"),
        ("not an email", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_email(email: str | None, masked: str) -> None:
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+14155550123", "+1******0123"),
        ("(415) 555-0123", "******0123"),
        ("12345", "***"),
        (None, ""),
    ],
)
def test_mask_phone(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_scrub_masks_every_email_and_number_in_free_text_and_keeps_the_rest() -> None:
    text = "book for jane.doe@example.com, call +1 415 555 0123 at 3 pm on the 12th"
    assert scrub(text) == "book for j***@e***.com, call +1******0123 at 3 pm on the 12th"


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("my number is 020 7946 0958.", "my number is *******0958."),  # whole, never in part
        ("(415) 555-0123", "(******0123"),
        ("415.555.0123", "******0123"),
        ("phone:+14155550123", "phone:+1******0123"),
        ("on 2026-12-03 4155550123", "on 2026-12-03 ******0123"),
    ],
)
def test_scrub_masks_phone_numbers_however_written(text: str, scrubbed: str) -> None:
    assert scrub(text) == scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "booking on 2026-12-03 at 15:00",
        "at 2026-12-02T05:11:27.123 +0000",
        "turn 12 took 123.45 ms, p99 1.234567 s",
        "uuid 550e8400-e29b-41d4-a716-446655440000",
        "listening on 127.0.0.1:5005",
        "call_id=abc123456789",
        "/webhooks/retell/llm-websocket/12345678901",
        "Text of length 1000024",
        "Text of length 10000240",
        "body of 1048600 bytes, limit 65536",
        "took 123456789 ns",
        "request of 1234567890123456 bytes",
    ],
)
def test_scrub_keeps_what_log_lines_need_readable(text: str) -> None:
    # The whole process's log lines go through `scrub`: dates, timings, hosts and ids stay.
    assert scrub(text) == text


# The Rasa server gets the rule by loading our tracker store (endpoints.yml); a child process
# shows what its log handlers write, whoever logs and however: arguments, f-strings, tracebacks.
_PROGRAM = textwrap.dedent(
    """
    import logging, sys
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(name)s %(message)s")
    import {module}
    log = logging.getLogger("any.library")
    log.info("saving %s for %s", "jane.doe@example.com", "+14155550123")
    log.warning('duplicate key value (email)=(bob.smith@mail.example.org) already exists')
    try:
        raise ValueError("bad row: tom@example.net, 020 7946 0958")
    except ValueError:
        log.exception("insert failed")
    log.info("%d%% done, booking %s at 3 pm", 100, 42)
    import warnings
    warnings.warn("could not parse /inform with victim.person@example.net, +1 415 555 0199")
    log.info("Text of length 1000024")
    """
)


@pytest.mark.parametrize("module", ["connector.tracker_store", "connector.retell.channel"])
def test_a_process_that_loads_the_connector_logs_no_email_or_phone_in_clear(module: str) -> None:
    run = subprocess.run(
        [sys.executable, "-c", _PROGRAM.format(module=module)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    for clear in ("jane.doe@", "4155550123", "bob.smith@", "tom@example", "7946 0958"):
        assert clear not in out, out
    assert "saving j***@e***.com for +1******0123" in out
    assert "(email)=(b***@m***.example.org)" in out
    assert "ValueError: bad row: t***@e***.net" in out  # the traceback, scrubbed
    assert "insert failed" in out
    assert "100% done, booking 42 at 3 pm" in out  # short numbers and formatting untouched
    # Warnings go through logging (py.warnings), masked like any other line.
    assert "py.warnings" in out and "could not parse /inform with v***@e***.net" in out
    assert "victim.person" not in out and "555 0199" not in out
    assert "Text of length 1000024" in out  # a size, not a phone number: never cut
