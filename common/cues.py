"""Words as evidence: the cue phrases that let a line end a call, leave a form or start a task.

The intent classifier is trained on a few hundred lines and has never heard most callers'
names: "Victor Taylor" comes out as "talk to a person", "Robin Day" as a goodbye. So an intent
that ends or diverts the conversation counts only when the words say so: a cue phrase of that
intent ("put me through", "never mind", "bye", "cancel it"), or, for the intents that ask about
the caller's booking, the shape of a question. Cues are phrases, not words: "Ray Person",
"Tim Booker", "Rose Price" and "Gene Page" hold none.

One table, two users: the NLU component after DIET (connector/nlu/evidence.py) picks the
highest-ranked intent that has its evidence, so every rule and story sees the corrected label;
the forms' validation (dialogue/digressions.py) reads the same table to decide, with the slot
asked for first, whether a line leaves the form. See docs/conversation.md, "Slot first, words
as evidence".
"""

from __future__ import annotations

import re

_SERVICE_WORDS = (
    r"hair ?cut|cut|trim|colou?r|dye|tint|highlights|blow ?dry|blow ?out|beard|shave|"
    r"hair done|styling|perm|fringe|bangs"
)
_WANT = (
    r"(?:i'd|i would|i'll|i|we'd|we) (?:like|love|want|need|wanna)|i'm (?:after|looking for)|"
    r"(?:can|could|may) (?:i|we) (?:get|have)|get me|i'll (?:have|take)|i wanna"
)
_WHEN = (
    r"today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"this (?:morning|afternoon|evening|week)|next week|at \d|at (?:noon|one|two|three|four|"
    r"five|six|seven|eight|nine|ten|eleven|twelve)"
)
_MADE = r"(?:appointment|booking|reservation)"
_BOOKED = r"(?:appointment|booking|reservation|haircut|colou?r|trim|blow ?dry)"
_EXISTING = rf"(?:my|our|the) {_BOOKED}"

CUES: dict[str, tuple[str, ...]] = {
    "human_handoff": (
        r"(?:talk|speak|speaking|chat) (?:to|with)(?: (?!you\b)|$)",
        r"(?:a|real|live|actual|human) (?:person|human|people|being)",
        r"^human\b|\bhuman please",
        r"put (?:me )?(?:through|on to)\b",
        r"(?:pass|hand) me (?:over )?to",
        r"get (?:me )?through to",
        r"a word with (?:someone|somebody|a person|the|one)",
        r"(?:someone|somebody|a person) on the (?:line|phone)",
        r"(?:not|to|with) a machine\b",
        r"\bperson please$",
        r"\btransfer",
        r"connect me",
        r"\b(?:operator|representative|receptionist|manager)\b|member of (?:the )?staff",
        r"\bagent\b",
        r"(?:someone|somebody|anyone|anybody) (?:there )?(?:i can|to|call|please|real)",
        r"\brobot\b",
    ),
    "stop": (
        r"never ?mind",
        r"forget (?:about )?(?:it|that|this|the booking|the whole|everything|i (?:said|asked))",
        r"(?:cancel|stop|scratch|scrap|drop|skip|leave) (?:all )?(?:of )?(?:that|this|it)\b",
        r"^(?:no )?stop\b|\bstop(?: please)?$",
        r"changed my mind",
        r"let's (?:not|just stop|stop)",
        r"don't worry about it",
        r"(?:don't|do not) (?:want to|wanna) (?:do this|book|go on|continue|carry on)",
        r"\bstop (?:there|here|now)\b",
        r"call it off",
        r"(?:don't|not) bother\b",
        r"i'll (?:call|ring) (?:you )?back|(?:call|ring) (?:you )?back(?: later)?$",
        r"(?:another|some other) time",
        r"\bnot now\b",
        r"\babort\b",
        r"call back later",
        r"rather not",
        r"not (?:go|going) ahead",
    ),
    "goodbye": (
        r"\b(?:good)?bye\b",
        r"\bsee (?:you|ya)\b",
        r"talk to you later",
        r"catch you later",
        r"have a (?:good|nice|great|lovely) (?:day|one|night|evening|weekend)",
        r"\bgood night\b",
        r"i'm (?:done|all set)",
        r"that's (?:it|all|everything)",
        r"that will be all",
        r"(?:gotta|have to|got to) go",
        r"take care",
        r"\bcheerio\b",
        r"^so long\b",
        r"^ta (?:ra|ta)\b",
        r"take it easy",
        r"all the best",
        r"i'll let you (?:go|get on)",
        r"nothing else",
    ),
    "deny": (
        r"^(?:no|nope|nah|negative)\b",
        r"\b(?:no|not|nope|nah|wrong|incorrect|nothing|don't|isn't)\b",
    ),
    "repeat": (
        r"say (?:that |it |the \w+ |that bit )?(?:again|one more time|once more)",
        r"\brepeat\b",
        r"\bpardon\b",
        r"come again",
        r"(?:didn't|did not|couldn't|could not|can't) (?:quite )?(?:catch|hear|get)",
        r"make (?:that|it|you) out",
        r"\bonce more\b",
        r"run (?:that|it) by me",
        r"\bmissed (?:that|it|what|you|the (?:last )?(?:bit|part))",
        r"what (?:was that|did you (?:say|ask)|was the question)",
        r"one more time",
        r"^(?:sorry|huh|what|excuse me)(?: what| sorry)?$",
        r"excuse me what",
        r"broke up|cut out|breaking up|cutting out|(?:you|it|line) cut off|went quiet",
        r"go over that",
    ),
    "book_appointment": (
        r"\b(?:book(?:ed|ing|s)?|appointment|reserv\w*|schedul\w*)\b",
        r"\bcome in\b|\bget (?:me )?in\b|\bfit me in\b|\bcome by\b|\bpop in\b|coming in for",
        r"\bsee (?:someone|somebody|a stylist|a hairdresser|one of your)\b",
        # With a service only: "put me down for thursday" answers a reschedule's day question.
        r"(?:sign me up|pencil me in|squeeze me in|put me (?:down|in)|set (?:me |us )?up) "
        rf"(?:\w+ ){{0,3}}(?:{_SERVICE_WORDS})\b",
        rf"(?:slot|spot) for (?:a |an |my )?(?:{_SERVICE_WORDS})\b",
        rf"needs (?:a |an |my )?(?:{_SERVICE_WORDS})\b",
        rf"(?:{_WANT}) (?:\w+ ){{0,4}}(?:{_SERVICE_WORDS})\b",
        r"(?:get|have) my hair",
        # "beard trim wednesday at 12:45 please": a service said with when is a booking; "my
        # haircut on friday" is one already made.
        rf"(?<!my )(?<!our )(?<!the )\b(?:{_SERVICE_WORDS})\b(?: \w+){{0,4}} (?:{_WHEN})\b",
    ),
    "cancel_appointment": (
        r"\bcancel(?:l?ed|l?ing|s)?\b",
        r"call off",
        rf"(?:remove|drop) {_EXISTING}",
        # other verbs that undo a booking, always with the booking they undo
        r"(?:scratch|scrap|drop|remove|delete|wipe|axe|withdraw|get rid of|pull out of) "
        rf"(?:my|our|the|\w+day's|tomorrow's) (?:\w+ )?{_BOOKED}",
        rf"take (?:my|our|the) (?:\w+ )?{_BOOKED} off",
        r"take (?:me|us) off (?:the|your) (?:book|books|list|system|schedule|diary)\b",
        rf"(?:no longer|don't|do not) (?:need|want) (?:my|our|the) {_BOOKED}",
        rf"no need for (?:my|our|the) {_BOOKED}",
    ),
    "reschedule_appointment": (
        r"\b(?:reschedul\w*|rebook\w*|rearrang\w*)\b",
        r"\b(?:move|change|switch|shift|push|bring|swap|bump) (?:it|my|our|the)\b",
        r"(?:different|another|later) (?:day|time)",
        r"\bmove me\b",
        r"\bpostpon\w*|\bdelay (?:my|our|the|it)\b",
        r"push back (?:my|our|the|it)\b|\bput (?:it|(?:my|our|the) \w+) (?:off|back)\b",
        r"bring (?:\w+ ){0,2}forward",
        r"(?:earlier|later|different|another|new|other) (?:day|time|date|slot)s? (?:for|on) "
        r"(?:my|our|the)\b",
        rf"(?:my|our) {_MADE}(?:'s| is)? (?:\w+ ){{0,4}}(?:earlier|later)\b",
        # "my booking is on tuesday but i need wednesday instead": a booking made, another wanted
        rf"(?:(?:my|our) {_MADE}|(?:my|our) {_BOOKED}(?:'s| is) (?:at|on|for)|i'm booked|i booked|"
        r"we booked|i'm down for|"
        rf"i(?:'ve got| have) (?:a|an) (?:\w+ )?{_MADE})\b.{{0,60}}"
        r"\b(?:instead|rather|prefer|make (?:it|that))\b",
        r"(?:earlier|later) than (?:i|we|my|our)\b",
        r"can't (?:make|do) .{0,40}\binstead\b",
        r"(?:appointment|booking|it) (?:\w+ ){0,3}(?:moved|changed|shifted|pushed)",
    ),
    "ask_my_booking": (
        r"\bmy (?:appointment|booking|reservation|code|confirmation|reference|haircut|colou?r)\b",
        r"\b(?:am i|did i|i'm) (?:\w+ )?book",
        r"\bi (?:booked|forgot)\b",
        r"when (?:am i|should i) (?:coming|come)",
        r"code did you",
        r"\bi (?:think i )?(?:have|had|made) (?:a|an) (?:booking|appointment)\b",
    ),
}
# Intents that ask about something: their question shape is evidence too.
ASKING = {"ask_my_booking", "repeat"}
# Intents a bare value never means. The others (inform, affirm, greet, thanks, the questions
# about the business and its free times) need no cue: a form keeps its slot first anyway.
GATED = set(CUES)
# A task the caller names while not asking anything starts it: "i want a haircut tomorrow at 3
# my name is jane doe" is a booking even when the classifier hears a question about prices.
TASKS = ("cancel_appointment", "reschedule_appointment", "book_appointment")
WAYS_OUT = ("human_handoff", "stop", "goodbye", "repeat")
ASKED_WAYS_OUT = ("human_handoff", "repeat")
CATCH_ALL = {"ask_question", "ask_availability", "inform", "nlu_fallback", "greet", "thanks"}

_COMPILED = {intent: [re.compile(p) for p in patterns] for intent, patterns in CUES.items()}
_SUBJECT = r"(?:i|you|we|they|he|she|it|there|that|this|someone|anyone|your|my|the|a|an|any)"
# Question words that are also names ("Will", "Can", "Do") count only before a subject;
# "how about thursday" offers a value.
_QUESTION = re.compile(
    r"^(?:and |so |sorry |hi |hello |hey |also |oh |but |okay |ok |um |uh |just |then )*"
    r"(?:(?:what|how)\b(?! about)"
    r"|(?:what's|whats|when|when's|where|where's|why|how's|who|who's|which|any|anything|"
    r"have you|got any|i was wondering|i wonder|tell me|i'd like to know|i want to know|"
    r"is|are|isn't|aren't|does|did|don't|could|would|should)\b"
    rf"|(?:do|can|will|may|have|has|was) {_SUBJECT}\b)"
)
_EXISTING_RE = re.compile(rf"\b{_EXISTING}\b|\bthe one (?:on|i|for|at)\b|\bi (?:booked|made)\b")
MAX_CHARS = 500  # a cue sits in the first words; longer text is read up to here


def plain(text: str | None) -> str:
    """Lowercase words without punctuation or hesitation sounds: "Um, bye!" → "bye"."""
    text = (text or "")[:MAX_CHARS].lower().replace("’", "'")
    words = re.sub(r"[^\w'@.+-]+", " ", text).replace(". ", " ").split()
    return " ".join(w.strip(".") for w in words if w not in {"um", "uh", "er", "erm", "hmm"})


def question_shaped(text: str) -> bool:
    return (text or "").strip().endswith("?") or bool(_QUESTION.match(plain(text)))


def holds_cue(intent: str, text: str) -> bool:
    words = plain(text)
    return any(p.search(words) for p in _COMPILED.get(intent, ()))


def cued_intents(text: str) -> set[str]:
    words = plain(text)
    return {i for i, patterns in _COMPILED.items() if any(p.search(words) for p in patterns)}


def has_evidence(intent: str, text: str) -> bool:
    if intent not in GATED:
        return True
    return holds_cue(intent, text) or (intent in ASKING and question_shaped(text))


def refers_to_existing(text: str) -> bool:
    """ "cancel my appointment on friday" names a booking already made; "cancel it" mid-booking
    means this one."""
    return bool(_EXISTING_RE.search(plain(text)))


def task_in_words(text: str) -> str | None:
    """The task a statement names ("i want a haircut", "cancel it"), or None for a question."""
    if question_shaped(text):
        return None
    cued = cued_intents(text)
    return next((task for task in TASKS if task in cued), None)


_REQUEST = re.compile(
    r"\b(?:(?:can|could|may) (?:i|we|you)|(?:i'd|i would|we'd|i|we) (?:like|want|need|wanna) to|"
    r"please|and|then|also|so) (?:also |just )?"
    r"(book|make an appointment|come in|get (?:me )?in|cancel|move|reschedule|change)\b"
)
_REQUEST_TASK = {"cancel": "cancel_appointment", "move": "reschedule_appointment"}
_REQUEST_TASK |= {"reschedule": "reschedule_appointment", "change": "reschedule_appointment"}


def requested_task(text: str) -> str | None:
    """The task a line asks for besides whatever else it asks: "how much is a colour, and can I
    book one Saturday" → book_appointment; "how much is a haircut tomorrow at 3" → None."""
    match = _REQUEST.search(plain(text))
    return _REQUEST_TASK.get(match.group(1), "book_appointment") if match else None


_WH = re.compile(
    r"^(?:\w+ ){0,2}?(?:what|what's|how|how's|when|when's|where|where's|which|who|why)\b"
)


def asks_then_requests(text: str) -> bool:
    """ "how much is a colour, and can I book one Saturday": a question, then a task asked for.
    The answer comes first; the task starts after it (dialogue/digressions.wrap_up)."""
    words = plain(text)
    match = _REQUEST.search(words)
    return bool(match and match.start() > 0 and _WH.match(words[: match.start()]))


# What a caller says before changing their mind: "no wait", "sorry actually", "no but".
_LEAD_IN = re.compile(
    r"^(?:(?:no|nope|nah|wait|actually|sorry|oh|well|but|hold on|hang on|hmm)"
    r"\b[\s,]*)+"
)
_NEGATED = re.compile(r"\b(?:don't|do not|dont|not|no|never|won't|wouldn't)\b")
_THANKS = re.compile(r"^(?:no|nope|nah)(?: thanks?| thank you| thank you very much| ta)\b")
# The answers that close a topic; a request after them wins ("no but can i also cancel"). Not a
# yes: "yes book it" confirms.
_CLOSING = ("deny", "stop", "goodbye", "thanks")
_CHANGES = ("cancel_appointment", "reschedule_appointment")


def request_after_lead_in(text: str) -> str | None:
    """The task a line asks for after "no", "wait" or "actually": "wait no sorry i do want to
    book after all" → book_appointment, "no but can i also cancel my other one" →
    cancel_appointment; "no don't book it" → None."""
    words = plain(text)
    lead = _LEAD_IN.match(words)
    if not lead or not lead.group(0).strip():
        return None
    rest = words[lead.end() :]
    if not rest or _NEGATED.search(rest):
        return None
    return requested_task(rest) or task_in_words(rest)


def choose_intent(text: str, ranking: list[tuple[str, float]]) -> str | None:
    """The classifier's ranking, filtered by the words: the best-ranked intent with evidence.
    A catch-all label gives way to what the words name: a task said as a statement, or a way
    out ("can I talk to someone?", "forget it"). None when the ranking is empty."""
    chosen = next((name for name, _ in ranking if has_evidence(name, text)), None)
    if chosen in _CLOSING and (task := request_after_lead_in(text)):
        return task
    if chosen == "thanks" and _THANKS.match(plain(text)):
        return "deny"  # "no thanks": nothing else, not a thank-you to answer
    if chosen == "ask_my_booking" and (task := task_in_words(text)) in _CHANGES:
        return task  # "i need to cancel, my confirmation code is ...": a change, not a question
    if chosen in TASKS and asks_then_requests(text):
        return "ask_question"
    if chosen in CATCH_ALL:
        if task := task_in_words(text):
            return task
        cued = cued_intents(text)
        # A question is never a goodbye or a stop ("what's the nearest subway stop").
        ways = ASKED_WAYS_OUT if question_shaped(text) else WAYS_OUT
        return next((way for way in ways if way in cued), chosen)
    return chosen


# A change asked for, not a question: "actually can we make it saturday instead".
_CORRECTION = re.compile(
    r"\b(?:make it|instead|change (?:it|that|the \w+) to|switch (?:it |that )?to|move it to|"
    r"rather|how about|what about|let's (?:do|say|go with)|go with)\b"
)


def corrects(text: str) -> bool:
    """Whether a line asks to change a value rather than asking about it; with a value in it,
    the form takes it ("can we make it saturday instead?" is no question about Saturday)."""
    return bool(_CORRECTION.search(plain(text)))
