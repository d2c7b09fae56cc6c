"""A DebugServer can stop advertising 8BITMIME or SMTPUTF8, and then refuses their use."""

from __future__ import annotations

import smtplib

import pytest

from smtplearn.server import DebugServer


def test_withheld_extensions_are_not_advertised_and_their_parameters_are_refused() -> None:
    with DebugServer(tls=False) as server:
        assert server.withheld_extensions == frozenset()
        server.withheld_extensions = {"8bitmime", "SMTPUTF8"}
        assert server.withheld_extensions == {"8BITMIME", "SMTPUTF8"}
        with smtplib.SMTP(*server.address, timeout=10) as smtp:
            smtp.ehlo()
            assert not smtp.has_extn("8bitmime") and not smtp.has_extn("smtputf8")
            assert smtp.has_extn("pipelining")
            code, reply = smtp.mail("a@example.com", ["BODY=8BITMIME"])
            assert (code, reply[:5]) == (555, b"5.5.4")
            smtp.rset()
            # smtplib will not send SMTPUTF8 unoffered; the raw command shows the refusal.
            assert smtp.docmd("MAIL FROM:<a@example.com> SMTPUTF8")[0] == 501
        server.withheld_extensions = set()
        with smtplib.SMTP(*server.address, timeout=10) as smtp:
            smtp.ehlo()
            assert smtp.has_extn("8bitmime") and smtp.has_extn("smtputf8")
            assert smtp.mail("a@example.com", ["BODY=8BITMIME", "SMTPUTF8"])[0] == 250


def test_only_known_extensions_can_be_withheld() -> None:
    with DebugServer(tls=False) as server:
        with pytest.raises(ValueError, match="8BITMIME and SMTPUTF8"):
            server.withheld_extensions = {"PIPELINING"}
        with pytest.raises(TypeError, match="a set of extension names"):
            server.withheld_extensions = "SMTPUTF8"  # type: ignore[assignment]
