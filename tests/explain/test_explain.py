"""explain(): every catalogue entry reachable, every kind of input, stable text, RFC links."""

from __future__ import annotations

import subprocess
import sys

import pytest

from smtplearn.explain import Explanation, explain, explain_reply, rfc_url
from smtplearn.explain import catalogue as cat
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import ClientState
from smtplearn.record import Exchange, Step

COMMANDS = [
    "EHLO",
    "HELO",
    "MAIL",
    "RCPT",
    "DATA",
    "RSET",
    "NOOP",
    "VRFY",
    "EXPN",
    "HELP",
    "QUIT",
    "STARTTLS",
    "AUTH",
    "BDAT",
]
CODES = [
    211,
    214,
    220,
    221,
    235,
    250,
    251,
    252,
    334,
    354,
    421,
    450,
    451,
    452,
    455,
    500,
    501,
    502,
    503,
    504,
    530,
    534,
    535,
    538,
    550,
    551,
    552,
    553,
    554,
    555,
]
DETAILS = [
    "1.1",
    "1.2",
    "1.3",
    "1.5",
    "1.6",
    "1.7",
    "1.8",
    "1.10",
    "2.1",
    "2.2",
    "3.4",
    "4.1",
    "4.2",
    "4.7",
    "5.1",
    "5.2",
    "5.3",
    "5.4",
    "6.0",
    "6.1",
    "7.0",
    "7.1",
    "7.8",
    "7.9",
    "7.11",
    "7.12",
    "7.30",
]
EXTENSIONS = {
    "SIZE": "RFC 1870",
    "PIPELINING": "RFC 2920",
    "8BITMIME": "RFC 6152",
    "DSN": "RFC 3461",
    "ETRN": "RFC 1985",
    "AUTH": "RFC 4954",
    "STARTTLS": "RFC 3207",
    "ENHANCEDSTATUSCODES": "RFC 2034",
    "DELIVERBY": "RFC 2852",
    "HELP": "RFC 5321 §4.1.1.8",
    "SMTPUTF8": "RFC 6531",
    "CHUNKING": "RFC 3030",
    "BINARYMIME": "RFC 3030",
}
MECHANISMS = {
    "PLAIN": "RFC 4616",
    "LOGIN": "draft-",
    "CRAM-MD5": "RFC 2195",
    "GSSAPI": "RFC 4752",
    "DIGEST-MD5": "RFC 2831",
    "XOAUTH2": "RFC 7628",
}


@pytest.mark.parametrize("verb", COMMANDS)
def test_every_command(verb: str) -> None:
    e = explain(verb)
    assert e.known and e.title.startswith(verb) and e.rfc and e.url.startswith("https://")
    assert explain(verb.lower()) == e


@pytest.mark.parametrize("text", ["mail from", "MAIL FROM:<a@b> SIZE=10", " rcpt to:<x@y> "])
def test_command_spellings(text: str) -> None:
    assert explain(text) == explain(text.split()[0].split(":")[0])


@pytest.mark.parametrize("code", CODES)
def test_every_reply_code(code: int) -> None:
    e = explain(code)
    assert e.known and e.title.startswith(f"{code} ") and e.rfc
    assert explain(str(code)) == e
    assert e.rfc.startswith("RFC 4954" if code in (235, 334, 530, 534, 535, 538) else "RFC ")


def test_reply_classes_and_categories_cover_rfc_5321_4_2_1() -> None:
    assert set(cat.REPLY_CLASSES) == {2, 3, 4, 5}
    assert {0, 1, 2, 5} <= set(cat.REPLY_CATEGORIES)
    unknown = explain(259)
    assert not unknown.known and "mail system" in unknown.summary
    assert unknown.rfc == "RFC 5321 §4.2.1"


@pytest.mark.parametrize("detail", DETAILS)
@pytest.mark.parametrize("klass", [4, 5])
def test_enhanced_codes(klass: int, detail: str) -> None:
    e = explain(f"{klass}.{detail}")
    assert e.known and e.title.startswith(f"{klass}.{detail} ") and e.rfc
    assert e.summary.startswith("Persistent Transient Failure" if klass == 4 else "Permanent")


def test_enhanced_code_sources_and_success_class() -> None:
    assert explain("5.7.8").rfc == "RFC 4954 §6"
    assert explain("5.7.20").rfc == "RFC 7372"
    assert explain("5.7.13").rfc == "RFC 5248"
    assert explain("5.1.1").rfc == "RFC 3463 §3.2"
    # A success code is not described as a problem.
    assert explain("2.1.0").summary == "Success; the status is about an address."
    partial = explain("5.1.99")
    assert not partial.known and "about an address" in partial.summary


@pytest.mark.parametrize(("keyword", "ref"), EXTENSIONS.items())
def test_extensions(keyword: str, ref: str) -> None:
    e = explain(keyword.lower())
    assert e.known and e.rfc.startswith(ref)
    assert explain(f"{keyword} 14680064") == explain(keyword)


@pytest.mark.parametrize(("name", "ref"), MECHANISMS.items())
def test_sasl_mechanisms(name: str, ref: str) -> None:
    e = explain(name)
    assert e.known and e.rfc.startswith(ref) and e.url
    assert "obsolete" in explain("DIGEST-MD5").title


def test_unknown_inputs_explain_themselves() -> None:
    for x in ("FROBNICATE", "", 99, 600, "7.1.1"):
        e = explain(x)
        assert not e.known and "Unknown" in e.summary, x
    assert "RFC 5321 §4.1.5" in explain("XCLIENT").summary


@pytest.mark.parametrize("bad", [None, 2.5, b"MAIL", True, ["MAIL"]])
def test_wrong_types_raise_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="explain\\(\\) takes a Step"):
        explain(bad)


def test_reply_with_enhanced_code_and_reply_line_text() -> None:
    r = Reply(550, ("5.1.1 <notthere>... User unknown",))
    e = explain(r)
    assert e.title.startswith("550 ") and [p.title for p in e.parts] == [
        "5.1.1 Bad destination mailbox address"
    ]
    assert explain("550 5.1.1 <notthere>... User unknown") == e
    assert explain(Reply(250, ("OK",))).parts == ()


def test_reply_in_context() -> None:
    ready = explain_reply(Reply(220, ("2.0.0 Ready to start TLS",)), "starttls")
    assert ready.title == "220 Ready to start TLS" and ready.rfc == "RFC 3207 §4"
    assert "Service ready" in ready.summary
    greeting = explain_reply(Reply(220, ("mx ESMTP",)), "")
    assert greeting.title == "220 Greeting"
    assert explain_reply(Reply(250, ("OK",)), "NOOP") == explain(Reply(250, ("OK",)))


def step(shown: str, verb: str, *replies: Reply) -> Step:
    exchanges = tuple(Exchange(shown, shown.encode(), shown.encode(), r) for r in replies)
    return Step(verb.lower(), verb, exchanges, ClientState.MAIL, ClientState.MAIL, 0.0, False)


def test_step_explanation_has_command_reply_and_code_parts() -> None:
    s = step("RCPT TO:<notthere@example.com>", "RCPT", Reply(550, ("5.1.1 User unknown",)))
    e = s.explain()
    assert e == explain(s)
    assert e.title == "rcpt: RCPT TO:<notthere@example.com>"
    assert "550" in e.summary and "refused" in e.summary
    assert [p.title.split(" — ")[0] for p in e.parts] == ["RCPT TO", explain(550).title]
    assert e.parts[1].parts[0].title.startswith("5.1.1")


def test_str_is_stable_indented_plain_text() -> None:
    s = step("VRFY <notthere>", "VRFY", Reply(550, ("5.1.1 <notthere>... User unknown",)))
    assert str(explain(s)) == (
        "vrfy: VRFY <notthere>: The server answered 550: refused; repeating it will not help.\n"
        "  VRFY — verify an address: Asks whether the server knows a user or mailbox. Many "
        "servers refuse to say (reply 252) so that spammers cannot harvest addresses. "
        "(RFC 5321 §4.1.1.6)\n"
        "  550 No such user: The server says this address does not exist here. (550: Requested "
        "action not taken: mailbox unavailable.) (RFC 5321 §3.5)\n"
        "    5.1.1 Bad destination mailbox address: Permanent Failure. The mailbox named in the "
        "recipient address does not exist here. (RFC 3463 §3.2)"
    )


def test_rfc_urls() -> None:
    assert rfc_url("RFC 5321 §4.1.1.2") == ("https://www.rfc-editor.org/rfc/rfc5321.html#section-4.1.1.2")
    assert rfc_url("RFC 2920") == "https://www.rfc-editor.org/rfc/rfc2920.html"
    assert rfc_url("draft-murchison-sasl-login").startswith("https://datatracker.ietf.org/")
    assert rfc_url("nonsense") == ""


def test_every_catalogue_reference_makes_a_link() -> None:
    tables = [
        cat.COMMANDS,
        cat.REPLY_CODES,
        cat.REPLY_CLASSES,
        cat.REPLY_CATEGORIES,
        cat.ENHANCED_CLASSES,
        cat.ENHANCED_SUBJECTS,
        cat.ENHANCED_DETAILS,
        cat.EXTENSIONS,
        cat.SASL_MECHANISMS,
        cat.IN_CONTEXT,
    ]
    for table in tables:
        for key, entry in table.items():  # type: ignore[attr-defined]
            assert rfc_url(entry.rfc), (key, entry.rfc)
            assert entry.summary.endswith((".", ")")) or table in (
                cat.REPLY_CATEGORIES,
                cat.ENHANCED_SUBJECTS,
            ), (key, entry.summary)


def test_explanation_is_frozen() -> None:
    e = explain("MAIL")
    assert isinstance(e, Explanation)
    with pytest.raises(AttributeError):
        e.title = "x"  # type: ignore[misc]


def test_auth_challenges_are_decoded_for_the_learner() -> None:
    username = explain_reply(Reply(334, ("VXNlcm5hbWU6",)), "AUTH")
    assert username.summary.endswith('Decoded, the challenge reads "Username:".')
    # RFC 2195's CRAM-MD5 example challenge.
    cram = explain_reply(Reply(334, ("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",)), "AUTH")
    assert '"<1896.697170952@postoffice.reston.mci.net>"' in cram.summary
    assert "Decoded" not in explain_reply(Reply(334, ("",)), "AUTH").summary
    assert "Decoded" not in explain_reply(Reply(334, ("not base64!",)), "AUTH").summary


def test_smtplearn_explain_is_a_plain_function_even_after_the_package_is_imported() -> None:
    # Issue 11: no callable-module trick. The function is what smtplearn.explain names,
    # however and in whatever order the package and the function are imported.
    code = (
        "import importlib, types, smtplearn; "
        "package = importlib.import_module('smtplearn.explain'); "
        "import smtplearn.explain; "
        "from smtplearn import explain as exported; "
        "from smtplearn.explain import explain as inner; "
        "assert type(smtplearn.explain) is types.FunctionType, type(smtplearn.explain); "
        "assert smtplearn.explain is exported is inner is package.explain; "
        "assert type(package) is types.ModuleType; "
        "print(smtplearn.explain(550).title)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("550")


def test_vrfy_553_is_ambiguous_not_bad_syntax() -> None:
    reply = Reply(553, ("5.1.4 <smith>... Ambiguous; possibilities are:", "5.1.4 Joe Smith <j@x>"))
    vrfy = explain_reply(reply, "VRFY")
    assert vrfy.title == "553 User ambiguous"
    assert "more than one user" in vrfy.summary and "syntax" not in vrfy.summary
    assert vrfy.rfc == "RFC 5321 §3.5.1"
    assert vrfy.parts[0].title.startswith("5.1.4 Destination mailbox address ambiguous")
    # After RCPT the same code keeps its general meaning.
    assert "not acceptable" in explain_reply(reply, "RCPT").summary
