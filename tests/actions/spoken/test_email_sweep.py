"""The email sweep at the parser: every generated address (email_sweep.py), said as speech
recognition writes it, read as the answer to "your email?". Target >= 99 %; the rate is printed.
The same set goes through the live bot in tests/e2e/test_email_sweep.py."""

from __future__ import annotations

from actions.spoken.emails import find_email, parse_email
from tests.actions.spoken.email_sweep import cases


def test_generated_addresses_are_read_as_meant(capsys):
    generated = cases()
    misses = []
    for case in generated:
        found = find_email(case.said, answer=True)  # what the booking form reads
        whole = parse_email(case.said)
        if not found or found[0] != case.address or whole != case.address:
            misses.append(
                f"{case.said!r} -> {found and found[0]!r} / {whole!r}, meant {case.address}"
            )
    rate = (len(generated) - len(misses)) / len(generated)
    with capsys.disabled():
        print(
            f"\nemail sweep (parser): {len(generated) - len(misses)}/{len(generated)} read as "
            f"meant ({rate:.1%}; target >= 99%)"
        )
    assert len(generated) >= 300
    assert len({case.address for case in generated}) == len(generated)
    assert rate >= 0.99, "\n".join(misses)


def test_the_sweep_is_deterministic():
    assert cases()[:5] == cases()[:5]
