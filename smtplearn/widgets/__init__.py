"""ipywidgets UIs over the client and the DebugServer: steppers, labs and views.

Importing this module imports ipywidgets; ``import smtplearn`` never does.

``AttackLab(login_server=..., account=..., server=..., vulnerable_server=...)``
    lesson 06's attacks: STARTTLS stripping and impostor certificates against toggles for
    verification and require_tls, SMTP smuggling against the vulnerable switch, VRFY
    enumeration and 252.
``ReplyQuiz(server)``
    a real reply from the server: pick its class, judged at once with its RFC section.
``SendingStepper(server)``
    send one message one SMTP step per click, each step explained.
``TLSAuthLab(server)``
    STARTTLS on or off, a SASL mechanism, user and password: see each exchange decoded, and
    the refusal to authenticate without TLS.
``VRFYLab(server)``
    ask the server whether an address exists; switch the server to refusing mode (252).
``FaultLab(server)`` and ``RetryLab(server)``
    inject a fault and see the reply, smtplib's exception and the mailbox; run a retry
    policy against greylisting on a timeline.
``PipeliningLab(server)`` and ``ExtensionsLab(server)``
    latency and recipients (number boxes), PIPELINING on/off: round trips, ms, a diagram to time
    scale; 8BITMIME/SMTPUTF8 offered or not: the MAIL parameters, the Subject, the answer.
``ServerLogView(server)``
    the server's session log of a raw socket, live, a bare LF or a missed reply marked.
``TranscriptView(transcript)`` and ``MailboxView(server.mailbox)``
    the reusable views the others are made of.

Each widget is a `VBox` whose controls carry a stable ``description`` and a DOM class
(``smtplearn-next-step``, ``smtplearn-send-all``, ``smtplearn-reset``,
``smtplearn-transcript``, ``smtplearn-mailbox``, ``smtplearn-starttls``, ``smtplearn-auth``,
``smtplearn-vrfy`` …; each class's docstring lists its own) so browser tests can find them.

Text representation: ipywidgets 8.1 makes a widget's ``text/plain`` from ``repr(widget)``
(normally ``VBox(children=(...))`` with model ids inside). Each widget here overrides
``__repr__`` with a short deterministic summary such as ``SendingStepper: 0 of 7 steps done,
client DISCONNECTED``, so a notebook cell that ends with the widget stores stable
``text/plain`` that nbval can compare; the widget view itself
(``application/vnd.jupyter.widget-view+json``, random model id) is skipped by nbval.
"""

from __future__ import annotations

from smtplearn.widgets.attacklab import AttackLab
from smtplearn.widgets.faultlab import FaultLab
from smtplearn.widgets.pipelining import ExtensionsLab, PipeliningLab
from smtplearn.widgets.quiz import ReplyQuiz
from smtplearn.widgets.retrylab import RetryLab
from smtplearn.widgets.serverlog import ServerLogView
from smtplearn.widgets.stepper import SendingStepper
from smtplearn.widgets.tlsauth import TLSAuthLab
from smtplearn.widgets.views import MailboxView, TranscriptView
from smtplearn.widgets.vrfy import VRFYLab

__all__ = [
    "AttackLab",
    "ExtensionsLab",
    "FaultLab",
    "MailboxView",
    "PipeliningLab",
    "ReplyQuiz",
    "RetryLab",
    "SendingStepper",
    "ServerLogView",
    "TLSAuthLab",
    "TranscriptView",
    "VRFYLab",
]
