"""What a man in the middle decodes from cleartext AUTH lines (`sasl.password_in_clear`)."""

from __future__ import annotations

import base64

import pytest

from smtplearn.protocol.sasl import password_in_clear


def _b64(text: str) -> bytes:
    return base64.b64encode(text.encode())


@pytest.mark.parametrize(
    ("lines", "password"),
    [
        ([b"AUTH PLAIN " + _b64("\0alice\0s3cret") + b"\r\n"], "s3cret"),
        ([b"AUTH PLAIN\r\n", _b64("\0alice\0s3cret") + b"\r\n"], "s3cret"),
        ([b"AUTH LOGIN\r\n", _b64("alice") + b"\r\n", _b64("s3cret") + b"\r\n"], "s3cret"),
        ([b"AUTH LOGIN\r\n", _b64("alice") + b"\r\n"], None),
        ([b"AUTH CRAM-MD5\r\n", _b64("alice 0123456789abcdef") + b"\r\n"], None),
        ([b"AUTH PLAIN not-base64!\r\n"], None),
        ([b"EHLO x\r\n"], None),
        ([], None),
    ],
)
def test_password_in_clear(lines: list[bytes], password: str | None) -> None:
    assert password_in_clear(lines) == password
