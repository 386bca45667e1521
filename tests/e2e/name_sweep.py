"""Names the assistant has never seen, said at the booking form's name question.

Asked "Can I have your name, please?", a caller says a name the model was never trained on. A
case is *kept* when the bot's next line is the email question (and nothing else), the form is
still active, no other booking value was read from the line, and the `customer_name` slot holds
the name (case-folded; for the speech-recognition form, accent-folded too). *Transfers* are
counted apart: the transfer action ran, or the line was classified `human_handoff`.

The names: at least 1,000 full names from Faker's person names (pinned in the dev extras) in
27 locales (Latin script, or Faker's romanized Chinese and Japanese names), drawn with a fixed
seed, none of whose words appears (case- and accent-folded) in anything the model trains on:
rasa_project/data/**, domain.yml, config.yml. Name particles (de, van, da, ...) are exempt:
they are function words that the training names hold too, and leaving out every name with one
would hide a class of failures. Each name is said as Faker writes it ("José Martínez") and as
speech recognition writes it ("jose martinez"). Names whose words are training words ("Will",
"Grant" if the data has them) are, by construction, not measured here.

Two uses:

- tests/e2e/test_name_sweep.py, in `make test`: each name once in each form, the phrasings in
  rotation (2,000+ turns, a few workers at once); target >= 99.5 % kept and no transfer.
- `make sweep` (`python -m tests.e2e.name_sweep`; starts its own servers): every name in every
  phrasing and both forms, each carried on to the read-back (an email, then a day and a time as
  the form asks), which must say the name; rates per phrasing, form and locale.

scripts/make_name_examples.py uses `person_name` and `fold` to write the training examples
(rasa_project/data/nlu/names.yml) from other draws; the words it used are then training words,
so the two sets never share a word.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from tests.e2e.servers import MODEL, NOW, PROJECT, Assistant, serving, sqlite_env
from tests.e2e.test_form_retention import put_events, reached

SEED = 20261203
FORM = "booking_form"
START = ["i'd like to book a haircut"]
NAME_QUESTION = "Can I have your name, please?"
EMAIL_QUESTION = "What email address should I send the confirmation to?"
READ_BACK_END = "Shall I book it?"
TRANSFER_ACTION = "action_transfer"
TRANSFER_INTENT = "human_handoff"
# ActionTransfer's two lines (actions/dialogue/call_control.py). The fallback's "I'm not sure
# ... or put you through to the team" is an offer, not a transfer.
TRANSFER_LINES = ("put you through to someone now", "no one I can put you through to")
# Booking values other than the name: set by a name line, they were read from the name.
OTHER_SLOTS = ("service", "email", "booking_date", "booking_time")
# Actions of the form's own turn; anything else ran because the form handed the turn over.
FORM_ACTIONS = {"action_listen", "action_extract_slots", FORM, f"validate_{FORM}"}

# Locales with person names of their own in Faker (many others fall back to en_US's), in Latin
# script or romanized.
LOCALES = (
    "en_US",
    "en_GB",
    "en_IE",
    "en_IN",
    "en_KE",
    "es_MX",
    "es_ES",
    "es_CO",
    "pt_BR",
    "pt_PT",
    "fr_FR",
    "fr_CA",
    "it_IT",
    "de_DE",
    "nl_NL",
    "pl_PL",
    "cs_CZ",
    "hu_HU",
    "ro_RO",
    "sv_SE",
    "fi_FI",
    "tr_TR",
    "vi_VN",
    "yo_NG",
    "zh_CN",
    "zh_TW",
    "ja_JP",
)
# Locales written in another script whose Faker names have romanized forms: those are used.
ROMANIZED = frozenset({"zh_CN", "zh_TW", "ja_JP"})
PER_LOCALE = 40  # 27 x 40 = 1,080 asked for; a locale with few words (vi_VN) gives fewer
MIN_NAMES = 1000
DRAWS_PER_LOCALE = 4000

# Words of a name that need not be new, as written (so "Lê", a Vietnamese family name, is not
# the particle "le"); see the module's docstring.
PARTICLES = frozenset(
    "de da do dos das del della di du la le van von der den ten ter mac mc bin al el y e".split()
)

PHRASINGS: dict[str, str] = {
    "bare": "{}",
    "my name is": "my name is {}",
    "it's": "it's {}",
    "uh my name is": "uh my name is {}",
    "um": "um {}",
}
FORMS = ("written", "asr")

_FOLD = str.maketrans(
    {
        "ı": "i",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "Ae",
        "œ": "oe",
        "Œ": "Oe",
        "ß": "ss",
        "þ": "th",
        "Þ": "Th",
        "ð": "d",
        "Ð": "D",
        "ə": "e",
        "Ə": "E",
        "ħ": "h",
        "Ħ": "H",
        "’": "'",
    }
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def fold(text: str) -> str:
    """Accents and letters speech recognition does not write folded: "Łukasz Żółć" → "Lukasz
    Zolc", "Işık" → "Isik"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def key(text: str) -> str:
    """The form two spellings of a name are compared in: accent-folded and case-folded."""
    return fold(text).casefold()


def words(text: str) -> list[str]:
    """The words of `text`, folded: "O'Brien-Núñez" → ["o'brien", "nunez"]."""
    return _WORD.findall(key(text))


def unseen(text: str, seen: frozenset[str]) -> bool:
    """No word of the name, particles aside, is in `seen` (folded words)."""
    return not any(
        key(word) in seen for word in _WORD.findall(text.casefold()) if word not in PARTICLES
    )


def latin(text: str) -> bool:
    """Latin letters, spaces, hyphens and apostrophes only, and no abbreviation or numeral
    ("Hans-J.", "Koch II")."""
    if not all(c in " -'" or (c.isalpha() and "LATIN" in unicodedata.name(c, "")) for c in text):
        return False
    return not any(len(w) > 1 and w.isupper() for w in text.split())


def person_name(fake, locale: str) -> str:
    """A full name as people of `locale` say it: given name(s) then family name(s); in vi_VN,
    family, middle, given ("Nguyễn Văn An"); in the ROMANIZED locales, Faker's romanized names
    in its order ("Wei Li", "Chen Kuan-Lin", "Yuki Nakajima")."""
    female = fake.random.random() < 0.5
    if locale in ROMANIZED:
        if locale == "zh_CN":  # no female and male romanized names there
            text = fake.romanized_name()
        else:
            text = fake.romanized_name_female() if female else fake.romanized_name_male()
        return text.title() if text.isupper() else text  # zh_TW writes them in capitals
    first = fake.first_name_female() if female else fake.first_name_male()
    last = fake.last_name_female() if female else fake.last_name_male()
    if locale == "vi_VN":
        return f"{last} {fake.middle_name()} {first}"
    return f"{first} {last}"


def training_files(project: Path = PROJECT) -> list[Path]:
    """Everything the model is trained on (what scripts/train_if_changed.py fingerprints)."""
    files = [project / "config.yml", project / "domain.yml"]
    return files + sorted(p for p in (project / "data").rglob("*.yml") if p.is_file())


@cache
def training_words() -> frozenset[str]:
    found: set[str] = set()
    for path in training_files():
        found.update(words(path.read_text(encoding="utf-8")))
    return frozenset(found)


@dataclass(frozen=True)
class Name:
    text: str  # as Faker writes it
    locale: str

    @property
    def asr(self) -> str:
        """As speech recognition writes it: lowercase, accents folded."""
        return fold(self.text).lower()


@cache
def sweep_names(per_locale: int = PER_LOCALE) -> tuple[Name, ...]:
    """The names, in a fixed order: up to `per_locale` from each locale."""
    from faker import Faker  # a dev dependency: imported only where the names are drawn

    seen = training_words()
    names: list[Name] = []
    taken: set[str] = set()
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(SEED)
        got = 0
        for _ in range(DRAWS_PER_LOCALE):
            if got == per_locale:
                break
            text = person_name(fake, locale)
            if not latin(text) or key(text) in taken:
                continue
            if not unseen(text, seen):
                continue
            taken.add(key(text))
            names.append(Name(text, locale))
            got += 1
    return tuple(names)


@dataclass(frozen=True)
class Case:
    name: Name
    phrasing: str
    form: str  # "written" or "asr"

    @property
    def spoken(self) -> str:
        return self.name.text if self.form == "written" else self.name.asr

    @property
    def text(self) -> str:
        return PHRASINGS[self.phrasing].format(self.spoken)


def rotation_cases(names: Iterable[Name]) -> list[Case]:
    """Each name in both forms, in one phrasing: the phrasings in turn."""
    order = list(PHRASINGS)
    return [
        Case(name, order[i % len(order)], form) for i, name in enumerate(names) for form in FORMS
    ]


def all_cases(names: Iterable[Name]) -> list[Case]:
    return [Case(name, p, form) for name in names for p in PHRASINGS for form in FORMS]


def same_name(case: Case, value: str | None) -> bool:
    if value is None:
        return False
    if case.form == "asr":
        return key(value) == key(case.name.text)
    return value.casefold() == case.name.text.casefold()


def says_name(case: Case, line: str) -> bool:
    """The read-back names the caller (folded when the caller was heard without accents)."""
    if case.form == "asr":
        return key(case.name.text) in key(line)
    return case.name.text.casefold() in line.casefold()


# ---------------------------------------------------------------------------- one turn


@dataclass
class Turn:
    said: list[str]
    slots: dict
    intent: str | None
    confidence: float | None
    active_loop: str | None
    actions: list[str]  # the actions run after the caller's line

    @property
    def transfer(self) -> bool:
        return (
            TRANSFER_ACTION in self.actions
            or self.intent == TRANSFER_INTENT
            or any(t in line for line in self.said for t in TRANSFER_LINES)
        )


def take_turn(assistant, sender: str, text: str) -> Turn:
    said = assistant.say(sender, text)
    tracker = assistant.rest_tracker(sender)
    events = tracker.get("events") or []
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    actions = [e.get("name") for e in events[last_user + 1 :] if e.get("event") == "action"]
    latest = tracker.get("latest_message") or {}
    intent = latest.get("intent") or {}
    return Turn(
        said=said,
        slots=tracker.get("slots") or {},
        intent=intent.get("name"),
        confidence=intent.get("confidence"),
        active_loop=(tracker.get("active_loop") or {}).get("name"),
        actions=actions,
    )


@dataclass
class Outcome:
    case: Case
    turn: Turn
    kept: bool
    category: str | None  # why it was not kept
    read_back: bool | None = None  # full sweep: the read-back said the name
    read_back_line: str | None = None
    later: list[str] = field(default_factory=list)  # full sweep: what the bot said after


def judge(case: Case, turn: Turn, before: dict) -> Outcome:
    category = failure_category(case, turn, before)
    return Outcome(case, turn, category is None, category)


def failure_category(case: Case, turn: Turn, before: dict) -> str | None:
    """None when kept, else why not, coarse enough to count ("left the form (ask_question ->
    action_gemini_fallback)"), marked "[letters outside a-z]" when the caller's name has such."""
    category = _category(case, turn, before)
    if category is None or case.spoken.isascii():
        return category
    return f"{category} [letters outside a-z]"


def _category(case: Case, turn: Turn, before: dict) -> str | None:
    if turn.transfer:
        return f"transfer ({turn.intent})"
    handed_over = [
        a for a in turn.actions if a not in FORM_ACTIONS and not a.startswith("action_ask_")
    ]
    if turn.active_loop != FORM or handed_over:
        return f"left the form ({turn.intent} -> {', '.join(handed_over) or 'no form'})"
    changed = [s for s in OTHER_SLOTS if turn.slots.get(s) != before.get(s)]
    if changed:
        return f"name words read as {' and '.join(changed)}"
    value = turn.slots.get("customer_name")
    if value is None:
        return "not taken as a name"
    if not same_name(case, value):
        if key(value) == key(case.name.text):
            return "accents lost"
        said, kept = case.spoken.split(), value.split()
        if len(kept) < len(said) and [key(w) for w in said[: len(kept)]] == [key(w) for w in kept]:
            return f"name cut short ({len(kept)} of {len(said)} words)"
        if key(case.spoken).startswith(key(value)):
            return "name cut inside a word"
        return "name changed"
    if turn.said != [EMAIL_QUESTION]:
        return "other line than the email question"
    return None


# ---------------------------------------------------------------------------- running


def start_events(assistant) -> tuple[list[dict], dict]:
    """The events of a conversation at the name question, and its slots."""
    events = reached(assistant, START)
    requested = assistant.tracker_from(events)["requested_slot"]
    if requested != "customer_name":
        raise AssertionError(f"{START} did not reach the name question: {events[-4:]}")
    slots: dict = {}
    for event in events:
        if event.get("event") == "slot":
            slots[event["name"]] = event.get("value")
    return events, slots


def run_case(assistant, start: list[dict], before: dict, case: Case, full: bool) -> Outcome:
    sender = f"names-{uuid.uuid4().hex[:10]}"
    put_events(assistant, sender, start)
    turn = take_turn(assistant, sender, case.text)
    outcome = judge(case, turn, before)
    if full:
        carry_on(assistant, sender, case, turn, outcome)
    return outcome


# What the caller says to each question on the way to the read-back.
ANSWERS = (
    ("What email", "sweep dot caller at example dot com"),
    ("What day", "friday at three pm"),
    ("What time", "three pm"),
    ("Which service", "a haircut"),
)


def carry_on(assistant, sender: str, case: Case, turn: Turn, outcome: Outcome) -> None:
    """Answer the form's questions until the read-back, and check that it says the name."""
    outcome.read_back = False
    said = turn.said if turn.active_loop == FORM else []
    for _ in range(4):
        if not said:
            return
        last = said[-1]
        if last.endswith(READ_BACK_END):
            outcome.read_back_line = last
            outcome.read_back = says_name(case, last)
            return
        answer = next((a for q, a in ANSWERS if last.startswith(q)), None)
        if answer is None:  # the name question again, or something unexpected
            return
        said = assistant.say(sender, answer)
        outcome.later.extend(said)


def run_cases(
    assistant,
    cases: list[Case],
    full: bool = False,
    workers: int = 3,
    progress: Callable[[int, int], None] | None = None,
) -> list[Outcome]:
    start, before = start_events(assistant)
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = pool.map(lambda c: run_case(assistant, start, before, c, full), cases)
        for i, outcome in enumerate(futures, 1):
            outcomes.append(outcome)
            if progress:
                progress(i, len(cases))
    return outcomes


# ---------------------------------------------------------------------------- reporting


def rate(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.1%})" if whole else "0/0"


def describe(outcome: Outcome) -> str:
    case, turn = outcome.case, outcome.turn
    conf = f" {turn.confidence:.2f}" if turn.confidence is not None else ""
    return (
        f"[{case.name.locale} {case.form} {case.phrasing!r}] {case.text!r} -> "
        f"{outcome.category}; name={turn.slots.get('customer_name')!r}; "
        f"intent={turn.intent}{conf}; said={turn.said}"
    )


def breakdown(outcomes: list[Outcome], by: Callable[[Outcome], str]) -> list[str]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[by(outcome)].append(outcome)
    lines = []
    for label, group in sorted(groups.items()):
        line = f"  {label:<16} {rate(sum(o.kept for o in group), len(group))} kept"
        if any(o.read_back is not None for o in group):
            line += f", {sum(bool(o.read_back) for o in group)} read back with the name"
        if transfers := sum(o.turn.transfer for o in group):
            line += f", {transfers} transfers"
        lines.append(line)
    return lines


def report(outcomes: list[Outcome], failures_shown: int = 30, full: bool = False) -> str:
    total = len(outcomes)
    kept = sum(o.kept for o in outcomes)
    transfers = sum(o.turn.transfer for o in outcomes)
    names = len({o.case.name for o in outcomes})
    lines = [
        f"name sweep: {rate(kept, total)} kept (target >= 99.5%), "
        f"{rate(transfers, total)} transfers (target 0); {names} unseen names, "
        f"{len({o.case.name.locale for o in outcomes})} locales",
        "per phrasing:",
        *breakdown(outcomes, lambda o: o.case.phrasing),
        "per form:",
        *breakdown(outcomes, lambda o: o.case.form),
    ]
    if full:
        read = [o for o in outcomes if o.read_back is not None]
        lines.append(
            f"read-back says the name: {rate(sum(bool(o.read_back) for o in read), len(read))}"
            " of all cases"
        )
        lines += ["per locale:", *breakdown(outcomes, lambda o: o.case.name.locale)]
    categories = Counter(o.category for o in outcomes if not o.kept)
    if categories:
        lines.append("failures by category:")
        lines += [f"  {n:>5}  {c}" for c, n in categories.most_common()]
        failed = [o for o in outcomes if not o.kept]
        lines.append(f"first {min(failures_shown, len(failed))} failures:")
        lines += [f"  {describe(o)}" for o in failed[:failures_shown]]
    return "\n".join(lines)


def dump(outcomes: list[Outcome], path: Path) -> None:
    """Every case as a JSON line, for reading the failures at leisure."""
    with path.open("w", encoding="utf-8") as out:
        for o in outcomes:
            record = {
                "name": o.case.name.text,
                "locale": o.case.name.locale,
                "form": o.case.form,
                "phrasing": o.case.phrasing,
                "text": o.case.text,
                "kept": o.kept,
                "category": o.category,
                "transfer": o.turn.transfer,
                "customer_name": o.turn.slots.get("customer_name"),
                "other_slots": {s: o.turn.slots.get(s) for s in OTHER_SLOTS},
                "intent": o.turn.intent,
                "confidence": o.turn.confidence,
                "actions": o.turn.actions,
                "said": o.turn.said,
                "read_back": o.read_back,
                "read_back_line": o.read_back_line,
                "later": o.later,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------- make sweep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Every unseen name in every phrasing, to the read-back."
    )
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--limit", type=int, default=0, help="N names only, from every locale")
    parser.add_argument("--failures", type=int, default=60, help="failures printed")
    parser.add_argument("--out", type=Path, help="write every case here as JSON lines")
    args = parser.parse_args(argv)
    if not MODEL.exists():
        print(f"no trained model at {MODEL}: run `make train` first", file=sys.stderr)
        return 2
    names = list(sweep_names())
    if args.limit:  # spread over the locales
        names = names[:: max(1, len(names) // args.limit)][: args.limit]
    cases = all_cases(names)
    print(
        f"{len(names)} names x {len(PHRASINGS)} phrasings x {len(FORMS)} forms = {len(cases)} cases"
    )
    began = time.monotonic()

    def progress(done: int, total: int) -> None:
        if done % 500 == 0 or done == total:
            print(f"  {done}/{total} ({time.monotonic() - began:.0f} s)", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        assistant = Assistant(work, sqlite_env(work, ASSISTANT_NOW=NOW))
        with serving(assistant):
            outcomes = run_cases(
                assistant, cases, full=True, workers=args.workers, progress=progress
            )
    print(report(outcomes, failures_shown=args.failures, full=True))
    if args.out:
        dump(outcomes, args.out)
        print(f"every case written to {args.out}")
    print(f"{time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
