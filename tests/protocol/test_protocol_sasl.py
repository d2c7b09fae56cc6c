"""SASL exchanges against known vectors, and redaction of everything secret."""

from __future__ import annotations

import base64

import pytest

from smtplearn.protocol import sasl
from smtplearn.protocol.commands import Command
from smtplearn.protocol.errors import LocalProtocolError, RemoteProtocolError
from smtplearn.protocol.replies import Reply

PASSWORD = "tanstaaftanstaaf"


def challenge(text: bytes) -> Reply:
    return Reply(334, (base64.b64encode(text).decode(),))


def visible(mech: sasl.SASLMechanism, *commands: Command) -> str:
    """Everything a learner could ever see of an exchange."""
    parts = [repr(mech), *mech.working]
    for command in commands:
        parts += [command.shown, command.redacted.decode(), repr(command)]
    return "\n".join(parts)


def secret_forms(password: str, username: str = "tim") -> list[str]:
    """The password and every base64 text that carries it."""
    return [
        password,
        base64.b64encode(password.encode()).decode(),
        base64.b64encode(f"\0{username}\0{password}".encode()).decode(),
    ]


def test_cram_md5_rfc_2195_example() -> None:
    mech = sasl.mechanism("CRAM-MD5", "tim", PASSWORD)
    start = mech.start()
    assert (start.verb, start.line) == ("AUTH", b"AUTH CRAM-MD5\r\n")
    answer = mech.respond(challenge(b"<1896.697170952@postoffice.reston.mci.net>"))
    assert answer.verb == "AUTH-RESPONSE"
    assert answer.line == b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"
    # Only the user name and a digest travel, so the response is shown as it is.
    assert answer.shown == "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
    assert mech.working == [
        "challenge decoded: <1896.697170952@postoffice.reston.mci.net>",
        "HMAC-MD5 key = the password (<redacted>), message = <1896.697170952@postoffice.reston.mci.net>",
        "digest = b913a602c7eda7a495b4e6e7334d3890",
        'response = base64("tim b913a602c7eda7a495b4e6e7334d3890")',
    ]
    for secret in secret_forms(PASSWORD):
        assert secret not in visible(mech, start, answer)


def test_cram_md5_seed_challenge_decodes() -> None:
    mech = sasl.CRAM_MD5("dhellmann@earthlink.net", "unknown")
    mech.respond(Reply(334, ("PDExNjkyLjEyMjI2MTI1NzlAZWxhc210cC1tZWFseS5hdGwuc2EuZWFydGhsaW5rLm5ldD4=",)))
    assert mech.working[0] == "challenge decoded: <11692.1222612579@elasmtp-mealy.atl.sa.earthlink.net>"


def test_plain_rfc_4616_message_as_initial_response() -> None:
    mech = sasl.mechanism("plain", "tim", PASSWORD)
    start = mech.start()
    assert start.line == b"AUTH PLAIN " + base64.b64encode(b"\0tim\0" + PASSWORD.encode()) + b"\r\n"
    assert start.shown == "AUTH PLAIN <redacted>"
    assert start.redacted == b"AUTH PLAIN <redacted>\r\n"
    assert mech.working == ['response = base64("\\0tim\\0<redacted>")']
    for secret in secret_forms(PASSWORD):
        assert secret not in visible(mech, start)


def test_plain_cancels_an_unexpected_challenge() -> None:
    mech = sasl.PLAIN("tim", PASSWORD)
    mech.start()
    cancel = mech.respond(Reply(334, ("",)))
    assert cancel.line == b"*\r\n"
    assert 'cancelling with "*"' in mech.working[-1]


def test_plain_refuses_nul_in_credentials() -> None:
    with pytest.raises(LocalProtocolError, match="NUL"):
        sasl.PLAIN("tim\0admin", PASSWORD)


def test_login_username_then_password() -> None:
    mech = sasl.mechanism("LOGIN", "tim", PASSWORD)
    start = mech.start()
    assert start.line == b"AUTH LOGIN\r\n"
    user = mech.respond(Reply(334, ("VXNlcm5hbWU6",)))  # "Username:"
    assert (user.line, user.shown, user.has_secret) == (b"dGlt\r\n", "dGlt", False)
    password = mech.respond(Reply(334, ("UGFzc3dvcmQ6",)))  # "Password:"
    assert password.line == base64.b64encode(PASSWORD.encode()) + b"\r\n"
    assert (password.shown, password.has_secret) == ("<redacted>", True)
    assert mech.working == [
        "challenge decoded: Username:",
        'response = base64("tim")',
        "challenge decoded: Password:",
        "response = base64(<redacted>)",
    ]
    for secret in secret_forms(PASSWORD):
        assert secret not in visible(mech, start, user, password)


def test_login_goes_by_order_when_prompts_are_unusual() -> None:
    mech = sasl.LOGIN("tim", PASSWORD)
    mech.start()
    assert mech.respond(challenge(b"Who are you?")).line == b"dGlt\r\n"
    assert mech.respond(challenge(b"Prove it")).has_secret
    assert mech.respond(challenge(b"again?")).line == b"*\r\n"


def test_cram_md5_cancels_a_second_challenge() -> None:
    mech = sasl.CRAM_MD5("tim", PASSWORD)
    mech.respond(challenge(b"<1@x>"))
    assert mech.respond(challenge(b"<2@x>")).line == b"*\r\n"


def test_respond_needs_a_334() -> None:
    with pytest.raises(LocalProtocolError, match="not a 535 reply"):
        sasl.CRAM_MD5("tim", PASSWORD).respond(Reply(535, ("5.7.8 nope",)))


def test_challenge_that_is_not_base64_is_a_remote_error() -> None:
    with pytest.raises(RemoteProtocolError, match="not base64"):
        sasl.LOGIN("tim", PASSWORD).respond(Reply(334, ("Username:",)))


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["GSSAPI", "DIGEST-MD5", "CRAM-MD5"], "CRAM-MD5"),
        (["PLAIN", "LOGIN", "CRAM-MD5"], "CRAM-MD5"),
        (["login", "plain"], "PLAIN"),
        (("LOGIN",), "LOGIN"),
    ],
)
def test_choose_strongest(offered: list[str], chosen: str) -> None:
    assert sasl.choose(offered) == chosen


def test_choose_lists_what_was_offered() -> None:
    with pytest.raises(LocalProtocolError, match="offered GSSAPI, XOAUTH2; smtplearn speaks CRAM-MD5"):
        sasl.choose(["GSSAPI", "XOAUTH2"])
    with pytest.raises(LocalProtocolError, match="offered none"):
        sasl.choose([])


def test_unknown_mechanism() -> None:
    with pytest.raises(LocalProtocolError, match="unsupported SASL mechanism 'SCRAM-SHA-256'"):
        sasl.mechanism("SCRAM-SHA-256", "tim", PASSWORD)


@pytest.mark.parametrize("name", sasl.STRENGTH_ORDER)
def test_no_mechanism_shows_the_password_anywhere(name: str) -> None:
    password = "Pa55w0rd-z9"  # distinctive, so a leak cannot hide
    mech = sasl.mechanism(name, "tim", password)
    sent = [mech.start()]
    for text in (b"Username:", b"Password:") if name == "LOGIN" else (b"<42.17@mx.example>",):
        if name != "PLAIN":
            sent.append(mech.respond(challenge(text)))
    shown = visible(mech, *sent)
    for secret in secret_forms(password):
        assert secret not in shown
    assert password not in repr(vars(mech).get("working"))
    # ...while the wire really carries it (in some form) for PLAIN and LOGIN.
    wire = b"".join(command.line for command in sent).decode()
    assert any(secret in wire for secret in secret_forms(password)) is (name != "CRAM-MD5")


# -- who an AUTH exchange logged in as, read back from the wire -------------------------------


def _wire(name: str, user: str, challenges: list[bytes]) -> list[bytes]:
    """The lines a real mechanism sends for `user`, answering `challenges` in order."""
    mech = sasl.mechanism(name, user, PASSWORD)
    lines = [mech.start().line]
    for challenge in challenges:
        lines.append(mech.respond(Reply(334, (base64.b64encode(challenge).decode(),))).line)
    return lines


@pytest.mark.parametrize(
    ("name", "challenges"),
    [("PLAIN", []), ("LOGIN", [b"Username:", b"Password:"]), ("CRAM-MD5", [b"<1.2@host>"])],
)
def test_identity_is_read_back_from_each_mechanism(name: str, challenges: list[bytes]) -> None:
    assert sasl.identity(_wire(name, "nobody", challenges)) == "nobody"
    assert sasl.identity(_wire(name, "student", challenges)) == "student"


def test_identity_of_plain_ignores_the_authorisation_identity() -> None:
    response = base64.b64encode(b"admin\0nobody\0" + PASSWORD.encode()).decode()
    assert sasl.identity([f"AUTH PLAIN {response}\r\n".encode()]) == "nobody"


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [b"EHLO x\r\n"],
        [b"AUTH PLAIN\r\n"],
        [b"AUTH PLAIN !!!\r\n"],
        [b"AUTH XOAUTH2 abc\r\n"],
        [b"AUTH LOGIN\r\n"],
    ],
)
def test_identity_is_none_when_the_lines_do_not_say(lines: list[bytes]) -> None:
    assert sasl.identity(lines) is None
