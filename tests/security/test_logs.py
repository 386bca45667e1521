"""Attack: personal data in the logs. A REST `/inform{"email": ...}` made Rasa
print a UserWarning with the raw address, which the masker never saw. Now warnings go through
logging (common/logsafe.py), command-like text never reaches NLU, and the logs of whole calls,
on REST and on the socket, hold no email, phone number, code or name in clear."""

from __future__ import annotations

import re

from tests.e2e.calls import code_in
from tests.security.conftest import call

NAME = ("Quentin", "Marlowe")
EMAIL = "quentin.marlowe@example.org"
PHONE = "+14155550199"


def test_the_logs_of_whole_calls_hold_no_personal_data_in_clear(assistant, caller):
    # Over REST: a booking, then the attack that printed a warning with the address.
    assistant.say(caller, "/greet")
    assistant.say(caller, "i'd like to book a haircut")
    assistant.say(caller, "quentin marlowe")
    assistant.say(caller, "quentin dot marlowe at example dot org")
    assistant.say(caller, "friday")
    assert "Shall I book it?" in " ".join(assistant.say(caller, "11 am"))
    rest_code = code_in(" ".join(assistant.say(caller, "yes")))
    assistant.say(caller, f'/inform{{"email":"{EMAIL}","customer_name":"Quentin Marlowe"}}')
    # Over the socket, from a known number: a booking, then a command with the address.
    heard = call(
        assistant,
        [
            "i'd like to book a beard trim",
            "quentin marlowe",
            "quentin dot marlowe at example dot org",
            "tuesday",
            "2:45 pm",
            "yes",
            f'/inform{{"email":"{EMAIL}"}}',
            f"my code is {' '.join(rest_code)}, when is my appointment?",
        ],
        phone=PHONE,
    )
    socket_code = code_in(heard[6].text)

    logs = assistant.log("rasa").read_text() + assistant.log("actions").read_text()
    assert logs.strip()
    lowered = logs.lower()
    clear = {
        "email": EMAIL,
        "email local part": "quentin.marlowe",
        "phone": PHONE[2:],
        "phone, national": "415 555 0199",
        "first name": NAME[0].lower(),
        "last name": NAME[1].lower(),
        "rest code": rest_code.lower(),
        "socket code": socket_code.lower(),
    }
    found = {
        what: value
        for what, value in clear.items()
        if re.search(rf"(?<![0-9a-z]){re.escape(value)}(?![0-9a-z])", lowered)
    }
    assert not found, found
