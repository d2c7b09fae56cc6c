"""The demo password, and every base64 form it travels in, never shows in any rendering.

Real sessions log in with each mechanism (over STARTTLS, and once over cleartext where the
password really is on the wire); then everything a learner or a log can see is collected:
the transcript's text, arrows, smtplib debug text, SVG and HTML, every repr, the step
explanations, error messages, every log record of every logger, the server's session log
and mailbox, the smtplib facade's debug output and the TLS+AUTH widget's displays.
"""

from __future__ import annotations

import base64
import contextlib
import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from smtplearn.client import Client
from smtplearn.protocol.errors import LocalProtocolError, SMTPReplyError
from smtplearn.record import Transcript
from smtplearn.server import DEMO_PASSWORD, DEMO_USER, DebugServer

PASSWORD = DEMO_PASSWORD.encode()


def fingerprints(secret: bytes = PASSWORD) -> set[str]:
    """Strings that appear whenever `secret` is shown, or base64-encoded inside anything.

    Base64 turns 3 bytes into 4 characters, so the password encodes three ways depending
    on its offset in the encoded string; the middle of each encoding depends on the
    password alone and appears whatever comes before or after it (AUTH PLAIN's
    ``\\0user\\0password``, AUTH LOGIN's bare password, ``user\\0password``...).
    """
    found = {secret.decode()}
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode()
        start = 4 if offset else 0
        end = 4 * ((offset + len(secret)) // 3)
        found.add(encoded[start:end])
    return found


FINGERPRINTS = fingerprints()


def leaks(text: str) -> list[str]:
    return sorted(f for f in FINGERPRINTS if f in text)


def test_fingerprints_catch_every_form_a_mechanism_sends() -> None:
    for wire in (
        b"\0" + DEMO_USER.encode() + b"\0" + PASSWORD,  # PLAIN, RFC 4616
        PASSWORD,  # LOGIN's second answer
        DEMO_USER.encode() + b"\0" + PASSWORD,
        b"x" + PASSWORD + b"yz",
    ):
        assert leaks(base64.b64encode(wire).decode()), wire


def transcript_renderings(transcript: Transcript) -> Iterator[str]:
    yield str(transcript)
    yield repr(transcript)
    yield transcript.arrows()
    yield transcript.debug_text()
    yield transcript.sequence_diagram()
    yield transcript._repr_html_()
    for step in transcript:
        yield repr(step)
        yield str(step)
        yield step.shown
        yield step._repr_html_()
        explanation = step.explain()
        yield str(explanation)
        yield explanation._repr_html_()
        yield repr(step.details)
        for exchange in step.exchanges:
            yield repr(exchange)
            yield exchange.shown
            yield exchange.sent_redacted.decode("utf-8", "replace")
            yield "\n".join(exchange.notes)


class Everything(logging.Handler):
    """Every log record of every logger, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self.lines.append(repr(record.args))


@pytest.fixture
def every_log_record() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.fixture(scope="module")
def server() -> Iterator[DebugServer]:
    with DebugServer() as server:
        yield server


@pytest.fixture(scope="module")
def cleartext_server() -> Iterator[DebugServer]:
    with DebugServer(auth_require_tls=False) as server:
        yield server


def check(texts: Iterator[str] | list[str]) -> int:
    count = 0
    for text in texts:
        assert not leaks(text), f"{leaks(text)} found in:\n{text[:2000]}"
        count += 1
    return count


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_client_sessions_never_show_the_password(
    server: DebugServer, every_log_record: Everything, mechanism: str
) -> None:
    with Client(server.host, server.port, tls_context=server.client_tls_context()) as client:
        client.ehlo()
        client.starttls()
        client.ehlo()
        assert client.login(DEMO_USER, DEMO_PASSWORD, mechanism=mechanism).ok
        shown = repr(client)
    assert check(transcript_renderings(client.transcript)) > 20
    check([shown, *every_log_record.lines])
    assert every_log_record.lines, "the session logged nothing: the log check would prove nothing"


def test_cleartext_login_keeps_the_password_out_of_every_rendering(
    cleartext_server: DebugServer, every_log_record: Everything
) -> None:
    server = cleartext_server
    with Client(server.host, server.port, allow_insecure_auth=True) as client:
        client.ehlo()
        step = client.login(DEMO_USER, DEMO_PASSWORD, mechanism="PLAIN")
        assert step.ok
        # The wire really carried it (the reason for the lesson) ...
        assert leaks(step.exchanges[0].sent.decode())
    # ... and nothing a learner sees shows it, unless they ask for it.
    check(transcript_renderings(client.transcript))
    check(every_log_record.lines)
    assert leaks(client.transcript.arrows(reveal=True)), "reveal=True shows it: the check can fail"


def test_errors_never_show_the_password(server: DebugServer, cleartext_server: DebugServer) -> None:
    messages = []
    with Client(server.host, server.port) as client:
        client.ehlo()
        with pytest.raises(LocalProtocolError) as refused:
            client.login(DEMO_USER, DEMO_PASSWORD)
        messages += [str(refused.value), repr(refused.value)]
    with Client(cleartext_server.host, cleartext_server.port, allow_insecure_auth=True) as client:
        client.ehlo()
        wrong = client.login(DEMO_USER, DEMO_PASSWORD + "-but-wrong", mechanism="LOGIN")
        with pytest.raises(SMTPReplyError) as failed:
            wrong.raise_for_reply()
        messages += [str(failed.value), repr(failed.value)]
        check(transcript_renderings(client.transcript))
    check(messages)


def test_server_side_records_never_show_the_password(server: DebugServer) -> None:
    for mechanism in ("PLAIN", "LOGIN", "CRAM-MD5"):
        with Client(server.host, server.port, tls_context=server.client_tls_context()) as client:
            client.ehlo()
            client.starttls()
            client.ehlo()
            client.login(DEMO_USER, DEMO_PASSWORD, mechanism=mechanism).raise_for_reply()
            client.send_message(_message())
    texts = [repr(server.sessions), repr(server.mailbox[-1]), repr(list(server.mailbox))]
    for session in server.sessions:
        texts += [str(session), repr(session), *map(repr, session.events)]
    assert any("<redacted>" in text for text in texts), "the AUTH lines were logged, redacted"
    check(texts)


def test_smtplib_facade_debug_output_never_shows_the_password(server: DebugServer) -> None:
    from smtplearn.compat import SMTP

    printed = io.StringIO()
    with (
        contextlib.redirect_stderr(printed),
        contextlib.redirect_stdout(printed),
        SMTP(server.host, server.port) as smtp,
    ):
        smtp.set_debuglevel(1)
        smtp.starttls(context=server.client_tls_context())
        smtp.login(DEMO_USER, DEMO_PASSWORD)
        transcript = smtp.transcript
    assert "AUTH" in printed.getvalue(), "the debug output covers the login"
    check([printed.getvalue()])
    check(transcript_renderings(transcript))


def widget_texts(widget: Any) -> Iterator[str]:
    """Every string a widget tree displays (a Password field's own value excepted)."""
    import ipywidgets

    yield repr(widget)
    bundle = getattr(widget, "_repr_mimebundle_", None)
    if bundle is not None:
        data = bundle()
        data = data[0] if isinstance(data, tuple) else data
        yield from (str(value) for value in data.values())
    if not isinstance(widget, ipywidgets.Password):
        for name in ("value", "description", "placeholder", "tooltip"):
            value = getattr(widget, name, None)
            if isinstance(value, str):
                yield value
    for output in getattr(widget, "outputs", ()):
        yield repr(output)
    for child in getattr(widget, "children", ()):
        yield from widget_texts(child)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_tls_auth_widget_never_shows_the_password(server: DebugServer, mechanism: str) -> None:
    pytest.importorskip("ipywidgets")
    from smtplearn.widgets import TLSAuthLab

    lab = TLSAuthLab(server, user=DEMO_USER, password=DEMO_PASSWORD, mechanism=mechanism)
    lab.login_button.click()
    texts = list(widget_texts(lab))
    assert any("235" in text for text in texts), "the login succeeded and is displayed"
    check(texts)


def _message() -> Any:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "author@example.test"
    message["To"] = "reader@example.test"
    message["Subject"] = "after login"
    message.set_content("hello\n")
    return message
