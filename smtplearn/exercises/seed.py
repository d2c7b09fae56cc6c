"""Exercise checks for the seed lessons: 00 start here, 01 sending, 02 TLS and AUTH, 03 VRFY.

One module per lesson (`start_here`, `first_message`, `tls_auth`, `verifying`), like the checks
of lessons 04-07; the notebooks import them from here, as before the split.

Each check reads what really happened — the client's transcript, or the server's mailbox
and session log — and compares it with the learner's prediction. None of them trusts what
the learner says they did: a prediction is only right if the session shows it. A blank
answer (``...``, the student edition's placeholder) gets a prompt to answer, checked
before anything else, so a student edition's Run All neither raises nor gives an answer away.
"""

from __future__ import annotations

from smtplearn.exercises.first_message import (
    SESSION_END_TIMEOUT,
    check_bcc,
    check_lone_dot,
    check_out_of_order,
)
from smtplearn.exercises.start_here import REPLY_CLASS_NAMES, check_reply_class
from smtplearn.exercises.tls_auth import check_auth_challenges, check_tls_changes, check_wrong_password
from smtplearn.exercises.verifying import check_enumeration, check_expn, check_vrfy, check_vrfy_refused

__all__ = [
    "REPLY_CLASS_NAMES",
    "SESSION_END_TIMEOUT",
    "check_auth_challenges",
    "check_bcc",
    "check_enumeration",
    "check_expn",
    "check_lone_dot",
    "check_out_of_order",
    "check_reply_class",
    "check_tls_changes",
    "check_vrfy",
    "check_vrfy_refused",
    "check_wrong_password",
]
