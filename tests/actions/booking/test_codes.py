from __future__ import annotations

import random

import pytest

from actions.booking.codes import ALPHABET, new_code, normalise_code


def test_alphabet_leaves_out_confusable_characters() -> None:
    assert not set("0O1IL") & set(ALPHABET)
    assert set(ALPHABET) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    assert len(set(ALPHABET)) == len(ALPHABET) == 31


def test_new_code_uses_the_alphabet_and_length() -> None:
    for _ in range(2000):
        code = new_code()
        assert len(code) == 5
        assert set(code) <= set(ALPHABET)
    assert len(new_code(8)) == 8


def test_new_codes_do_not_repeat_over_many_draws() -> None:
    drawn = [new_code() for _ in range(5000)]
    # 31**5 codes: ~0.44 colliding pairs expected among 5000 draws (birthday bound); more than
    # five would mean a broken generator (chance ~1e-6 otherwise). The store's index decides.
    assert len(set(drawn)) >= len(drawn) - 5


def test_new_code_takes_a_seeded_rng() -> None:
    assert new_code(rng=random.Random(7)) == new_code(rng=random.Random(7))


def test_new_code_refuses_a_bad_length() -> None:
    with pytest.raises(ValueError):
        new_code(0)


@pytest.mark.parametrize(
    ("said", "code"),
    [
        ("K7P2Q", "K7P2Q"),
        ("k7p2q", "K7P2Q"),
        ("k 7 p 2 q", "K7P2Q"),
        ("k7-p2q", "K7P2Q"),
        ("K.7.P.2.Q.", "K7P2Q"),
        ("  k, 7, p, 2, q  ", "K7P2Q"),
        ("k seven p two q", "K7P2Q"),
        ("K Seven P Two Q", "K7P2Q"),
        ("three", "THREE"),  # a lone word is taken literally
        ("k7p", None),  # too short
        ("k7p2qx", None),  # too long
        ("k0p2q", None),  # 0 is not in the alphabet
        ("kop2q", None),  # nor O
        ("k1p2q", None),
        ("kip2q", None),
        ("klp2q", None),
        ("k7p2q?", "K7P2Q"),
        ("(k7p2q)", "K7P2Q"),
        ("k7p2é", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalise_code(said: str | None, code: str | None) -> None:
    assert normalise_code(said) == code


def test_normalise_code_other_length() -> None:
    assert normalise_code("ab-cd-ef", length=6) == "ABCDEF"
    assert normalise_code("ab-cd-ef") is None


def test_every_new_code_normalises_to_itself() -> None:
    for _ in range(500):
        code = new_code()
        assert normalise_code(code) == code
        assert normalise_code(" ".join(code.lower())) == code
