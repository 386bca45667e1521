"""The streaming speech cleaner: sentences out as soon as they complete, clean, and capped."""

from __future__ import annotations

import pytest

from actions.llm.reply_cleaner import SpokenReply, clean


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        # markdown
        ("**Yes!** We're open **today**.", "Yes! We're open today."),
        ("__Sure__, it's _really_ close.", "Sure, it's really close."),
        ("Use `code` and ~~old~~ words.", "Use code and old words."),
        ("## Our hours\nWe open at 9 AM.", "Our hours. We open at 9 AM."),
        ("> Quoted line.", "Quoted line."),
        ("We're number #1 in town.", "We're number 1 in town."),
        ("A | table | row", "A table row"),
        ("snake_case stays", "snake_case stays"),
        # lists become sentences
        ("Prices:\n- Haircut $40\n- Colour $85", "Prices: Haircut $40. Colour $85"),
        ("* one\n* two\n", "one. two."),
        ("• bullet point", "bullet point"),
        ("1. Haircut\n2. Colour\n10) Blow-dry", "Haircut. Colour. Blow-dry"),
        ("We have 2. Then more.", "We have 2. Then more."),
        # emoji
        ("Great 😊 see you! 👋", "Great see you!"),
        ("Thanks 👩‍💻 ⭐️ ✅ → bye", "Thanks bye"),
        ("See you soon 🙂.", "See you soon."),
        # links and URLs
        ("Book at https://www.bellahair.com/book?ref=ai.", "Book at bellahair.com."),
        ("See http://example.org:8080/a/b and more", "See example.org and more"),
        ("Visit www.bella.com/prices, thanks", "Visit bella.com, thanks"),
        ("Read [our policy](https://bella.com/policy).", "Read our policy."),
        ("[https://bella.com](https://bella.com)", "bella.com"),
        # numbers, abbreviations and times stay intact
        ("It's $40.00 for a cut.", "It's $40.00 for a cut."),
        ("Ask Dr. Smith or Mr. Jones.", "Ask Dr. Smith or Mr. Jones."),
        ("Like e.g. Olaplex, i.e. the good ones.", "Like e.g. Olaplex, i.e. the good ones."),
        ("From 9 a.m. to 6 p.m. daily.", "From 9 a.m. to 6 p.m. daily."),
        # whitespace
        ("  Lots   of\tspace  \n\n\n here.  ", "Lots of space. here."),
        ("", ""),
        ("   \n  ", ""),
    ],
)
def test_clean(text, spoken):
    assert clean(text) == spoken


@pytest.mark.parametrize(
    ("chunks", "emitted", "rest"),
    [
        # a sentence is spoken as soon as it ends; the next one brings the separating space
        (["Sure. ", "We open ", "at 9."], ["Sure.", "", ""], " We open at 9."),
        (["Sure.", " We open."], ["", "Sure."], " We open."),
        (["Yes! We", " do."], ["Yes!", ""], " We do."),
        (["Is that ok? Good"], ["Is that ok?"], " Good"),
        # words split across chunks
        (["Hel", "lo the", "re. Bye"], ["", "", "Hello there."], " Bye"),
        # "$40." might be "$40.00": wait for the next chunk
        (["It's $40.", "00 for a cut. Then"], ["", "It's $40.00 for a cut."], " Then"),
        (["It's $40.", " Then"], ["", "It's $40."], " Then"),
        # "a.m." ends a sentence only before a capital letter: wait for it
        (["Open at 9 a.m", ". ", "See you."], ["", "", "Open at 9 a.m."], " See you."),
        (["Open at 9 a.m. ", "on Tuesdays. OK"], ["", "Open at 9 a.m. on Tuesdays."], " OK"),
        (["Dr", ". Smith is in. Ok"], ["", "Dr. Smith is in."], " Ok"),
        (["For e.g. ", "colour. Ok"], ["", "For e.g. colour."], " Ok"),
        # markdown split across chunks
        (["*", "*Yes.*", "* We are."], ["", "", "Yes."], " We are."),
        # a list, line by line
        (
            ["Prices:\n- Hair", "cut $40\n- Col", "our $85\n"],
            ["Prices:", " Haircut $40.", " Colour $85."],
            "",
        ),
        (["1. Cut\n", "2. Dye"], ["Cut.", ""], " Dye"),
        # an emoji-only sentence says nothing and needs no space
        (["Hi. ", "👋 ", "\nBye."], ["Hi.", "", ""], " Bye."),
    ],
)
def test_streaming(chunks, emitted, rest):
    reply = SpokenReply(max_sentences=10)
    assert [reply.feed(chunk) for chunk in chunks] == emitted
    assert reply.finish() == rest


TEXTS = [
    "**Sure!** We're open from 9 a.m. to 6 p.m. on Tuesdays. A cut is $40.00, e.g. with Dr. Lee.",
    "## Prices\n- Haircut: $40\n- Colour: $85 😊\n\nBook at https://www.bella.com/book. Thanks!",
    "Well... let me check. Hmm... Yes. We take walk-ins?! Sometimes.",
    "1. Wash\n2. Cut\n3. Dry\nThat's it.",
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_any_chunking_gives_the_same_text(text, size):
    reply = SpokenReply(max_sentences=100, max_chars=10_000)
    pieces = [reply.feed(text[i : i + size]) for i in range(0, len(text), size)]
    assert "".join(pieces) + reply.finish() == clean(text)


def test_the_sentence_cap_stops_at_three():
    reply = SpokenReply()
    assert [reply.feed("One. "), reply.feed("Two. ")] == ["One.", " Two."]
    assert not reply.capped
    assert reply.feed("Three. Four. ") == " Three."
    assert reply.capped  # the caller cancels the stream now
    assert reply.feed("Five. ") == "" and reply.finish() == ""


def test_the_cap_can_be_reached_by_finish():
    reply = SpokenReply(max_sentences=2)
    assert reply.feed("One. Two") == "One."
    assert reply.finish() == " Two" and reply.capped


def test_the_character_cap_drops_the_sentence_that_does_not_fit():
    reply = SpokenReply(max_chars=40)
    assert reply.feed("This first sentence fits well. ") == "This first sentence fits well."
    assert reply.feed("This second one is far too long to fit. ") == ""
    assert reply.capped and reply.spoken_chars <= 40
    assert reply.finish() == ""


def test_a_run_on_without_punctuation_is_cut_at_a_word():
    reply = SpokenReply(max_chars=60)
    out = "".join(reply.feed("word " * 3) for _ in range(20))
    assert reply.capped
    assert out.endswith("word.") and len(out) <= 60
    assert reply.finish() == ""


def test_a_long_first_sentence_is_cut_not_dropped():
    text = "We have " + "lovely " * 80 + "parking."
    assert clean(text, max_chars=100).endswith("lovely.")
    assert len(clean(text, max_chars=100)) <= 100


def test_clean_can_be_capped():
    assert clean("One. Two. Three. Four.", max_sentences=2) == "One. Two."


@pytest.mark.parametrize(("sentences", "chars"), [(0, 400), (3, 5)])
def test_caps_must_be_sensible(sentences, chars):
    with pytest.raises(ValueError):
        SpokenReply(sentences, chars)
