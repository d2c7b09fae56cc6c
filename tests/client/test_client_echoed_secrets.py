"""A server that echoes the client's credentials back never gets them shown (issue 10, item 4).

The peer is aiosmtpd with AUTH handlers that repeat what the client sent: the base64 as it
arrived, the decoded text, the bare password, the CRAM-MD5 digest; in a 535, in a 235, in a
334 challenge and in the reply to a later command. Then everything a learner or a log can
see is searched for any form of the secret: every rendering of the transcript (text, smtplib
debug, HTML, SVG), every repr, every explanation, every log record, every exception.
"""

from __future__ import annotations

import base64
import hmac
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import trustme
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session
from aiosmtpd_peer import USERS, Peer, RecordingHandler, start_peer

from smtplearn import Client
from smtplearn.protocol.errors import SMTPLearnError
from smtplearn.record import Transcript

USER = "alice"
PASSWORD = USERS[USER]
CRAM_CHALLENGE = b"<1896.697170952@postoffice.example>"
CRAM_DIGEST = hmac.new(PASSWORD.encode(), CRAM_CHALLENGE, "md5").hexdigest()


def base64_fingerprints(secret: bytes) -> set[str]:
    """The base64 characters that depend on `secret` alone, at each of its 3 possible offsets."""
    found = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode()
        found.add(encoded[4 if offset else 0 : 4 * ((offset + len(secret)) // 3)])
    return found


PASSWORD_FORMS = {PASSWORD} | base64_fingerprints(PASSWORD.encode())
# The client shows its own CRAM-MD5 answer on purpose (lesson 02 recomputes it by hand), so
# the digest is looked for only where the server's words appear: in the replies.
DIGEST_FORMS = {CRAM_DIGEST} | base64_fingerprints(CRAM_DIGEST.encode())


def leaks(text: str, secrets: set[str] = PASSWORD_FORMS) -> list[str]:
    return sorted(secret for secret in secrets if secret in text)


def echo(received: bytes) -> str:
    """What a careless server says back: the base64 as sent and the decoded text."""
    shown = received.decode("utf-8", "replace").replace("\0", " ")
    return f"you sent {base64.b64encode(received).decode()} = {shown}"


@dataclass
class EchoingHandler(RecordingHandler):
    """aiosmtpd AUTH handlers that repeat the client's answers in their replies.

    `outcome` picks where the echo goes: a ``535`` refusal, a ``235`` welcome (then every
    later MAIL reply repeats the password too), or a ``334`` challenge.
    """

    outcome: str = "refuse"

    async def _finish(self, server: SMTP, received: bytes) -> AuthResult:
        if self.outcome == "accept":
            return AuthResult(success=True, handled=False, message=f"235 2.7.0 welcome, {echo(received)}")
        if self.outcome == "challenge":
            # A challenge the client cannot answer: it must give up without showing it.
            await server.push("334 " + base64.b64encode(received).decode())
            await server._reader.readline()  # the client's "*" (or nothing: it may close)
            await server.push("501 5.7.0 cancelled " + echo(received))
            return AuthResult(success=False, handled=True)
        await server.push(f"535-5.7.8 refused: {echo(received)}\r\n535 5.7.8 password {PASSWORD}?")
        return AuthResult(success=False, handled=True)

    async def auth_PLAIN(self, server: SMTP, args: list[str]) -> AuthResult:
        if len(args) > 1:
            received = base64.b64decode(args[1])
        else:
            answer = await server.challenge_auth("")
            assert isinstance(answer, bytes)
            received = answer
        return await self._finish(server, received)

    async def auth_LOGIN(self, server: SMTP, args: list[str]) -> AuthResult:
        user = await server.challenge_auth("Username:")
        password = await server.challenge_auth("Password:")
        assert isinstance(user, bytes) and isinstance(password, bytes)
        return await self._finish(server, password)

    async def auth_CRAM__MD5(self, server: SMTP, args: list[str]) -> AuthResult:
        answer = await server.challenge_auth(CRAM_CHALLENGE)
        assert isinstance(answer, bytes)
        return await self._finish(server, answer)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        envelope.mail_from = address
        return f"250 2.1.0 ok; remember, your password is {PASSWORD} ({echo(PASSWORD.encode())})"


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # The traceback too: an exception chained from one holding a secret would show it.
        self.lines.append(self.format(record))
        self.lines.append(repr(record.args))


@pytest.fixture
def smtplearn_log() -> Iterator[Everything]:
    handler = Everything()
    logger = logging.getLogger("smtplearn")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@pytest.fixture(params=["refuse", "accept", "challenge"])
def echoing_peer(request: pytest.FixtureRequest, ca: trustme.CA) -> Iterator[Peer]:
    controller, peer = start_peer(ca, EchoingHandler(outcome=request.param))
    try:
        yield peer
    finally:
        controller.stop()


def renderings(transcript: Transcript) -> Iterator[str]:
    yield str(transcript)
    yield repr(transcript)
    yield transcript.debug_text()
    yield transcript.sequence_diagram()
    yield transcript._repr_html_()
    for step in transcript:
        yield repr(step)
        yield str(step)
        yield step._repr_html_()
        yield str(step.explain())
        yield step.explain()._repr_html_()
        for exchange in step.exchanges:
            yield repr(exchange)
            yield repr(exchange.reply)
            yield "\n".join(exchange.notes)
            if exchange.reply is not None:
                yield exchange.reply.raw.decode("utf-8", "replace")
                yield exchange.reply.text


def exception_texts(error: BaseException) -> Iterator[str]:
    """The message, the repr and every exception chained to it (what a traceback prints)."""
    seen: BaseException | None = error
    while seen is not None:
        yield str(seen)
        yield repr(seen)
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)


def test_the_fingerprints_would_find_each_echo() -> None:
    plain = b"\0" + USER.encode() + b"\0" + PASSWORD.encode()
    for received in (plain, PASSWORD.encode()):
        assert leaks(echo(received)), received
        assert leaks(base64.b64encode(received).decode()), received
    cram = f"{USER} {CRAM_DIGEST}".encode()
    assert leaks(echo(cram), DIGEST_FORMS) and leaks(base64.b64encode(cram).decode(), DIGEST_FORMS)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_echoed_credentials_never_show(echoing_peer: Peer, smtplearn_log: Everything, mechanism: str) -> None:
    texts: list[str] = []
    client = Client(echoing_peer.host, echoing_peer.port, tls_context=echoing_peer.client_context)
    try:
        client.connect()
        client.ehlo()
        client.starttls()
        client.ehlo()
        try:
            step = client.login(USER, PASSWORD, mechanism=mechanism)
        except SMTPLearnError as error:  # the echo-in-a-challenge server: the client gives up
            texts += exception_texts(error)
        else:
            try:
                step.raise_for_reply()
            except SMTPLearnError as error:
                texts += exception_texts(error)
            if step.ok:
                mail = client.mail("author@example.test")
                assert mail.ok and "<redacted>" in mail.reply.text  # type: ignore[union-attr]
        texts.append(repr(client))
    finally:
        client.close()
    login = next(step for step in client.transcript if step.name == "login")
    # The server did echo: its replies show the redaction where the secret was.
    assert any("<redacted>" in reply.text for reply in login.replies) or texts
    texts += renderings(client.transcript)
    texts += smtplearn_log.lines
    assert smtplearn_log.lines, "the client logged nothing: the log check would prove nothing"
    for text in texts:
        assert not leaks(text), f"{leaks(text)} in:\n{text[:2000]}"
    for step in client.transcript:
        for reply in step.replies:
            for text in (str(reply), repr(reply), reply.raw.decode("utf-8", "replace")):
                assert not leaks(text, DIGEST_FORMS), f"the CRAM-MD5 digest in:\n{text}"


def test_reveal_still_shows_what_the_client_sent(ca: trustme.CA) -> None:
    """Scrubbing replies does not hide the client's own sent line when asked with reveal=True."""
    controller, peer = start_peer(ca, EchoingHandler(outcome="refuse"))
    try:
        with Client(peer.host, peer.port, tls_context=peer.client_context) as client:
            client.ehlo()
            client.starttls()
            client.ehlo()
            step = client.login(USER, PASSWORD, mechanism="PLAIN")
            assert not step.ok
            assert step.reply is not None and step.reply.code == 535
            assert PASSWORD not in step.reply.text and "<redacted>" in step.reply.text
    finally:
        controller.stop()
    assert leaks(client.transcript.arrows(reveal=True)), (
        "reveal=True shows the sent secret: the check can fail"
    )
