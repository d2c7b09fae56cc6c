"""WorldMap and RecordEditor, headless, against a real world."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import pytest

from smtplearn.render.theme import Accent
from smtplearn.widgets.world import RecordEditor, WorldMap
from smtplearn.world import World, lesson_world
from tests.widgets.conftest import shown_text, shown_texts


@pytest.fixture
def world() -> Iterator[World]:
    built = lesson_world()
    yield built
    built.stop()


def test_the_map_shows_hosts_and_records(world: World) -> None:
    view = WorldMap(world)
    assert repr(view) == "WorldMap: 4 hosts, 17 DNS records, nothing sent yet"
    assert "mx1.example.org" in view.map.value and "10 mx1.example.org" in view.map.value
    assert "BEGIN" not in view.map.value  # the DKIM key is public; nothing private is listed


def test_send_draws_each_hop_and_opens_the_relay_transcript(world: World) -> None:
    view = WorldMap(world)
    view.subject_field.value = "From the map"
    view.send_button.click()
    assert "delivered" in view.timeline.value and "From the map" in view.timeline.value
    # The hop shown first is the relay's SMTP session with mx1.
    assert "attempt" in view.hop_picker.label
    assert "MAIL FROM" in view.hop_view.value and "mx1.example.org" in view.hop_view.value
    dns_hop = next(v for label, v in view.hop_picker.options if "dns" in label)
    view.hop_picker.value = dns_hop
    assert "RFC 5321 §5.1" in view.hop_view.value
    assert world.inbox("bob@example.org")[0].subject == "From the map"


def test_greylisting_shows_deferred_then_the_retry(world: World) -> None:
    from smtplearn.server import Greylist

    for name in ("mx1.example.org", "mx2.example.org"):
        world.host(name).mx.inject(Greylist())  # type: ignore[union-attr]
    view = WorldMap(world)
    view.send()
    assert "deferred" in view.timeline.value and "delivered" not in view.timeline.value
    view.advance_button.click()
    assert "delivered" in view.timeline.value


def test_an_unknown_recipient_shows_the_bounce(world: World) -> None:
    view = WorldMap(world)
    view.to_field.value = "nobody@example.org"
    view.send()
    assert "bounced" in view.timeline.value and "5.1.1" in view.timeline.value


def test_the_editor_updates_verdicts_live_and_never_shows_secrets(world: World) -> None:
    editor = RecordEditor(world)
    assert repr(editor) == "RecordEditor for example.com: SPF/DKIM/DMARC pass/pass/pass; fail/none/fail"
    editor.spf_field.value = "v=spf1 ip4:192.0.2.10 ip4:203.0.113.0/24 -all"
    assert repr(editor).endswith("pass/none/pass")
    assert world.zone.find("example.com", "TXT")[0].value.startswith("v=spf1 ip4:192.0.2.10 ip4:203")
    editor.dkim_field.value = ""  # the key withdrawn: the signature cannot be verified
    assert "pass/fail/pass; pass/none/pass" in repr(editor)
    editor.spf_field.value = "v=spf1 -all"
    assert "rejected (550 5.7.1)" in editor.verdicts.value
    texts = " ".join(shown_texts(editor))
    assert "PRIVATE KEY" not in texts


def test_a_malformed_record_is_marked_as_a_failure_not_as_no_record(world: World) -> None:
    """permerror (RFC 7208 §2.6.7) needs the domain owner to act: it must not look like "none"."""
    editor = RecordEditor(world)
    editor.spf_field.value = "v=spf1 ip4:192.0.2.999 -all"
    badge = re.search(r'<span style="([^"]*)">SPF=permerror</span>', editor.verdicts.value)
    assert badge is not None, editor.verdicts.value
    assert f"border-left:3px solid {Accent.FAILED}" in badge.group(1)


def test_a_mistyped_dmarc_policy_protects_nothing_and_says_so(world: World) -> None:
    """RFC 7489 §6.6.3 step 6: without a valid p=, p=none if rua= names an address, else no DMARC."""
    editor = RecordEditor(world)
    editor.dmarc_field.value = "v=DMARC1; p=rejct; rua=mailto:dmarc@example.com"
    assert repr(editor).endswith("; fail/none/fail")
    editor.dmarc_field.value = "v=DMARC1; p=rejct"
    assert repr(editor).endswith("; fail/none/permerror")
    badge = re.search(r'<span style="([^"]*)">DMARC=permerror</span>', editor.verdicts.value)
    assert badge is not None and f"border-left:3px solid {Accent.FAILED}" in badge.group(1)
    assert "rejected" not in editor.verdicts.value


def test_the_submitted_hop_shows_the_mail_programs_session_without_the_password(world: World) -> None:
    """client → submission is a hop too: its transcript (STARTTLS, AUTH) is one click away."""
    view = WorldMap(world)
    view.send_button.click()
    view.hop_picker.value = next(v for label, v in view.hop_picker.options if "submitted" in label)
    assert "EHLO laptop.example" in view.hop_view.value and "STARTTLS" in view.hop_view.value
    assert "235 2.7.0 Authentication successful" in view.hop_view.value
    shown = shown_text(view)
    assert [form for form in _password_forms() if form in shown] == []


def _password_forms() -> list[str]:
    from smtplearn.world.world import ALICE, ALICE_PASSWORD

    return [
        ALICE_PASSWORD,
        base64.b64encode(ALICE_PASSWORD.encode()).decode(),
        base64.b64encode(f"\0{ALICE}\0{ALICE_PASSWORD}".encode()).decode(),
    ]


def test_a_quarantined_forgery_does_not_look_like_one_with_p_none(world: World) -> None:
    """RFC 7489 §6.3: p=quarantine asks receivers to treat failing mail "as suspicious".

    The editor showed "→ delivered" for p=quarantine exactly as for p=none, so the lesson's
    suggestion to try p=quarantine showed a policy that changes nothing.
    """
    editor = RecordEditor(world)
    editor.dmarc_field.value = "v=DMARC1; p=none"
    unprotected = editor.verdicts.value
    editor.dmarc_field.value = "v=DMARC1; p=quarantine"
    assert editor.verdicts.value != unprotected
    signed, forged = editor.verdicts.value.split("</li>")[:2]
    assert "→ delivered as suspicious (p=quarantine)" in forged
    assert "suspicious" not in signed and "suspicious" not in unprotected
    editor.dmarc_field.value = "v=DMARC1; p=quarantine; pct=0"  # §6.6.4: not enacted on any message
    assert "suspicious" not in editor.verdicts.value
