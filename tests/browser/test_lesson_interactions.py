"""A learner's clicks after Run All, in JupyterLab in headless Chromium: one test per lesson widget.

Each test opens a lesson, runs all of it (so its last cell has run too: the server must
still be there), then drives the lesson's widget like a learner: fills fields, ticks boxes,
presses buttons, and reads what the page shows. Every assertion is about text rendered in
the page, which can only appear after the click reached the kernel, the widget talked to
the lesson's DebugServer over loopback and the new widget state came back. A close-up of
the widget after the interaction is saved as ``<lesson>-interaction.png`` (on failure too).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Locator, Page, expect

from smtplearn.server import DEMO_PASSWORD, DEMO_USER
from smtplearn.world.world import ALICE, ALICE_PASSWORD

from .jupyter import (
    SCREENSHOT_DIR,
    JupyterServer,
    current_notebook,
    notebook_problems,
    run_notebook_like_a_learner,
)

pytestmark = pytest.mark.browser

#: What must never be on the page, however the lab decodes an exchange.
_PASSWORD_FORMS = (
    DEMO_PASSWORD,
    base64.b64encode(DEMO_PASSWORD.encode()).decode(),
    base64.b64encode(f"\0{DEMO_USER}\0{DEMO_PASSWORD}".encode()).decode(),
)

#: Alice's password on the world's submission server (lessons 08 and 09), in every form AUTH sends it.
_WORLD_PASSWORD_FORMS = (
    ALICE_PASSWORD,
    base64.b64encode(ALICE_PASSWORD.encode()).decode(),
    base64.b64encode(f"\0{ALICE}\0{ALICE_PASSWORD}".encode()).decode(),
)

# Everything the notebook shows: its text (cells, outputs, widgets) and what its fields hold,
# which innerText leaves out.
_NOTEBOOK_SHOWN_JS = """
(notebook) => [notebook.innerText,
  ...[...notebook.querySelectorAll('input, textarea')].map(field => field.value)].join('\\n')
"""


def _notebook_shown(page: Page) -> str:
    shown: str = current_notebook(page).evaluate(_NOTEBOOK_SHOWN_JS)
    return shown


def _widget(page: Page, control: str) -> Locator:
    """The output area of the one widget in the notebook that has `control` in it."""
    notebook = current_notebook(page)
    area = notebook.locator(".jp-OutputArea-output").filter(has=page.locator(control))
    expect(area).to_have_count(1)
    return area


@contextmanager
def _screenshot_afterwards(page: Page, widget: Locator, name: str) -> Iterator[None]:
    """Save a close-up of `widget` as ``<name>-interaction.png`` once the block is done."""
    try:
        yield
    finally:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        viewport = page.viewport_size or {"width": 1280, "height": 1000}
        box = widget.bounding_box()
        # Grown to the widget's height, or the shot is stitched with the menu bar across it.
        needed = int(box["height"]) + 400 if box else viewport["height"]
        page.set_viewport_size(
            {"width": viewport["width"], "height": min(max(needed, viewport["height"]), 16_000)}
        )
        try:
            widget.scroll_into_view_if_needed()
            widget.screenshot(path=str(SCREENSHOT_DIR / f"{name}-interaction.png"))
        finally:
            page.set_viewport_size(viewport)


# The smtplearn class of the widget holding the keyboard focus ("" when focus is elsewhere).
_FOCUSED_JS = """
() => {
  const widget = document.activeElement?.closest('.jupyter-widgets');
  return widget ? [...widget.classList].find(c => c.startsWith('smtplearn-')) ?? '' : '';
}
"""


def _focused(page: Page) -> str:
    focused: str = page.evaluate(_FOCUSED_JS)
    return focused


def _tab_to(page: Page, control: str, *, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab) once and check the focus landed on `control`."""
    page.keyboard.press("Shift+Tab" if backwards else "Tab")
    assert _focused(page) == control


def _type_over(page: Page, text: str) -> None:
    """Replace the focused field's text by typing, as a learner at the keyboard does."""
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_lesson_01_stepper_sends_a_message_step_by_step_with_the_keyboard_alone(
    lab: JupyterServer, browser_page: Page
) -> None:
    """Every control is reached with Tab, in reading order, and operated with keys only.

    Fields are filled by typing; "Next step" is pressed with Enter and with Space; the
    state machine (once behind an Accordion header no key could reach) is opened with Space.
    """
    page = browser_page
    run_notebook_like_a_learner(page, lab, "01-sending-a-message.ipynb", screenshot="01-sending-a-message")
    stepper = _widget(page, ".smtplearn-next-step")
    progress = stepper.locator(".smtplearn-progress")
    with _screenshot_afterwards(page, stepper, "01-sending-a-message"):
        stepper.locator(".smtplearn-from input").focus()  # the learner has tabbed into the widget
        assert _focused(page) == "smtplearn-from"
        for control, text in (
            ("smtplearn-to", "learner@example.com"),
            ("smtplearn-cc", "copy@example.com"),
            ("smtplearn-bcc", "hidden@example.com"),
            ("smtplearn-subject", "Hello from the keyboard"),
            ("smtplearn-body", "Typed by a learner, no mouse."),
        ):
            _tab_to(page, control)
            _type_over(page, text)
        # Three recipients make eight steps: the kernel has seen the fields before the first key.
        expect(progress).to_contain_text("0 of 8 steps done · next: connect")

        _tab_to(page, "smtplearn-next-step")
        page.keyboard.press("Enter")
        expect(progress).to_contain_text("1 of 8 steps done")
        for done in range(2, 8):
            page.keyboard.press("Space" if done % 2 else "Enter")
            expect(progress).to_contain_text(f"{done} of 8 steps done")
        assert _focused(page) == "smtplearn-next-step"  # focus stays put between presses

        _tab_to(page, "smtplearn-send-all")
        _tab_to(page, "smtplearn-reset")
        _tab_to(page, "smtplearn-state-diagram-toggle")
        page.keyboard.press("Space")
        diagram = stepper.locator(".smtplearn-state-diagram svg[role='img']")
        expect(diagram).to_be_visible()
        expect(diagram).to_have_attribute("aria-label", re.compile("current state READY"))
        expect(diagram.locator("desc")).to_contain_text("Current state: READY.")

        for control in ("smtplearn-reset", "smtplearn-send-all", "smtplearn-next-step"):
            _tab_to(page, control, backwards=True)
        page.keyboard.press("Enter")
        expect(progress).to_contain_text("the session is over")
        expect(diagram.locator("desc")).to_contain_text("Current state: CLOSED.")
        expect(stepper.locator(".smtplearn-error").first).not_to_contain_text("was not sent")
        expect(stepper.locator("button.smtplearn-next-step")).to_be_disabled()
        expect(stepper.locator(".smtplearn-step").first).to_contain_text("Step 8: quit")
        transcript = stepper.locator(".smtplearn-transcript").last
        expect(transcript).to_contain_text("RCPT TO:<hidden@example.com>")
        # DATA's 354, the message, and the 250 that means the server took responsibility for it.
        expect(transcript).to_contain_text(
            re.compile(r"DATA[\s\S]*354[\s\S]*Hello from the keyboard[\s\S]*250")
        )
        mailbox = stepper.locator(".smtplearn-mailbox").last
        expect(mailbox).to_contain_text("Subject: Hello from the keyboard")
        expect(mailbox).to_contain_text("copy@example.com")
        expect(mailbox).to_contain_text("hidden@example.com — envelope only: no header names it (Bcc)")
        expect(mailbox).not_to_contain_text("copy@example.com — envelope only")


def test_lesson_02_lab_runs_starttls_then_auth_and_shows_the_exchange_decoded(
    lab: JupyterServer, browser_page: Page
) -> None:
    page = browser_page
    run_notebook_like_a_learner(
        page, lab, "02-tls-and-authentication.ipynb", screenshot="02-tls-and-authentication"
    )
    tls_lab = _widget(page, ".smtplearn-auth")
    result = tls_lab.locator(".smtplearn-auth-result")
    exchange = tls_lab.locator(".smtplearn-auth-exchange")
    login = tls_lab.locator("button.smtplearn-auth")
    with _screenshot_afterwards(page, tls_lab, "02-tls-and-authentication"):
        # Without STARTTLS our client refuses before a byte of the password is written.
        tls_lab.locator(".smtplearn-starttls input").uncheck()
        login.click()
        expect(result).to_contain_text("The client refused to send the credentials.")

        tls_lab.locator(".smtplearn-starttls input").check()
        tls_lab.locator(".smtplearn-mechanism select").select_option("LOGIN")
        login.click()
        expect(result).to_contain_text("Authenticated.")
        expect(result).to_contain_text("235")
        expect(exchange).to_contain_text("AUTH LOGIN, exchange by exchange")
        expect(exchange).to_contain_text("challenge decoded: Username:")
        expect(exchange).to_contain_text("challenge decoded: Password:")
        expect(exchange).to_contain_text("235 2.7.0 Authentication successful")
        transcript = tls_lab.locator(".smtplearn-transcript").last
        expect(transcript).to_contain_text(re.compile(r"STARTTLS[\s\S]*220[\s\S]*AUTH LOGIN[\s\S]*235"))

        tls_lab.locator(".smtplearn-mechanism select").select_option("CRAM-MD5")
        login.click()
        expect(exchange).to_contain_text("AUTH CRAM-MD5, exchange by exchange")
        expect(exchange).to_contain_text(re.compile(r"challenge decoded: <\d+\.\d+@mail\.example\.test>"))
        expect(exchange).to_contain_text("HMAC-MD5 key = the password (<redacted>)")
        expect(exchange).to_contain_text("235 2.7.0 Authentication successful")

        shown = tls_lab.inner_text()
        assert [form for form in _PASSWORD_FORMS if form in shown] == []


def test_lesson_03_lab_verifies_a_known_and_an_unknown_address(
    lab: JupyterServer, browser_page: Page
) -> None:
    page = browser_page
    run_notebook_like_a_learner(
        page, lab, "03-verifying-addresses.ipynb", screenshot="03-verifying-addresses"
    )
    vrfy_lab = _widget(page, ".smtplearn-vrfy")
    address = vrfy_lab.locator(".smtplearn-vrfy-address input")
    verify = vrfy_lab.locator("button.smtplearn-vrfy")
    result = vrfy_lab.locator(".smtplearn-vrfy-result")
    history = vrfy_lab.locator(".smtplearn-vrfy-history")
    with _screenshot_afterwards(page, vrfy_lab, "03-verifying-addresses"):
        address.fill("dhellmann")
        verify.click()
        expect(result).to_contain_text("VRFY dhellmann")
        expect(result).to_contain_text(re.compile(r"250[\s\S]*Doug Hellmann <dhellmann@mail\.example\.test>"))

        address.fill("nobody")
        verify.click()
        expect(result).to_contain_text("VRFY nobody")
        expect(result).to_contain_text("550")
        expect(result).not_to_contain_text("Doug Hellmann")

        expect(history).to_contain_text(
            re.compile(r"dhellmann[\s\S]*250[\s\S]*Doug Hellmann[\s\S]*nobody[\s\S]*550")
        )
        expect(vrfy_lab.locator(".smtplearn-error").first).to_have_text("")


def test_lesson_06_attack_lab_strips_starttls_then_smuggles_and_is_stopped(
    lab: JupyterServer, browser_page: Page
) -> None:
    page = browser_page
    run_notebook_like_a_learner(page, lab, "06-security.ipynb", screenshot="06-security")
    attack_lab = _widget(page, ".smtplearn-attack-login")
    result = attack_lab.locator(".smtplearn-attack-result")
    smuggled = attack_lab.locator(".smtplearn-smuggle-result")
    with _screenshot_afterwards(page, attack_lab, "06"):
        # The man in the middle strips STARTTLS: the opportunistic client leaks the made-up password.
        attack_lab.locator("button.smtplearn-attack-login").click()
        expect(result).to_contain_text("the man in the middle read the password")
        expect(result).to_contain_text("captured: user 'alice', password 'correct horse'")
        # Require TLS: the same attacker gets nothing.
        attack_lab.locator(".smtplearn-require-tls input").check()
        attack_lab.locator("button.smtplearn-attack-login").click()
        expect(result).to_contain_text("The client refused to log in without TLS: nothing leaked.")

        # Smuggling with CR.CR: the vulnerable server stores the forged message, the default refuses.
        attack_lab.locator(".smtplearn-smuggle-end select").select_option("CR.CR")
        attack_lab.locator("button.smtplearn-smuggle").click()
        expect(smuggled).to_contain_text("The forged message from <ceo@bank.example> is in the mailbox.")
        expect(smuggled).to_contain_text("Please wire the money")
        attack_lab.locator(".smtplearn-vulnerable input").uncheck()
        attack_lab.locator("button.smtplearn-smuggle").click()
        expect(smuggled).to_contain_text("554 5.6.0")
        expect(smuggled).to_contain_text("No forged message")

        shown = attack_lab.inner_text()
        assert [form for form in _PASSWORD_FORMS if form in shown] == []


def test_lesson_00_reply_quiz_judges_a_real_reply_at_once(lab: JupyterServer, browser_page: Page) -> None:
    page = browser_page
    run_notebook_like_a_learner(page, lab, "00-start-here.ipynb", screenshot="00-start-here")
    quiz = _widget(page, ".smtplearn-quiz-next")
    question = quiz.locator(".smtplearn-quiz-question")
    verdict = quiz.locator(".smtplearn-quiz-verdict")
    with _screenshot_afterwards(page, quiz, "00-start-here"):
        expect(question).to_contain_text("HELLO (a typo for EHLO)")
        expect(question).to_contain_text("500")
        quiz.get_by_role("button", name="done", exact=True).click()
        expect(verdict).to_contain_text("'done' is not the class of this reply")
        quiz.get_by_role("button", name="failed for good", exact=True).click()
        expect(verdict).to_contain_text("500 starts with 5: failed for good")
        expect(verdict).to_contain_text("RFC 5321 §4.2.1")

        quiz.locator("button.smtplearn-quiz-next").click()
        expect(question).to_contain_text("NOOP")
        expect(verdict).to_have_text("")
        quiz.get_by_role("button", name="done", exact=True).click()
        expect(verdict).to_contain_text("250 starts with 2: done")
        expect(quiz.locator(".smtplearn-error").first).to_have_text("")


def test_lesson_04_fault_playground_and_retry_timeline(lab: JupyterServer, browser_page: Page) -> None:
    page = browser_page
    run_notebook_like_a_learner(
        page, lab, "04-when-things-go-wrong.ipynb", screenshot="04-when-things-go-wrong"
    )
    playground = _widget(page, ".smtplearn-fault-send")
    result = playground.locator(".smtplearn-fault-result")
    with _screenshot_afterwards(page, playground, "04-when-things-go-wrong"):
        playground.locator(".smtplearn-fault select").select_option("temporary failure")
        playground.locator(".smtplearn-fault-step select").select_option("RCPT")
        playground.locator("button.smtplearn-fault-send").click()
        expect(result).to_contain_text("smtplib raised SMTPRecipientsRefused")
        expect(result).to_contain_text("4yz Transient Negative Completion")
        expect(result).to_contain_text("nothing was stored by this send")

        playground.locator(".smtplearn-fault select").select_option("connection dropped")
        playground.locator(".smtplearn-fault-step select").select_option("MESSAGE")
        playground.locator("button.smtplearn-fault-send").click()
        expect(result).to_contain_text("smtplib raised SMTPServerDisconnected")
        expect(result).to_contain_text("The client's state now: CLOSED")
        expect(playground.locator(".smtplearn-fault-diagram svg")).to_have_count(1)

        playground.locator(".smtplearn-fault select").select_option("recipient refused (550 5.1.1)")
        playground.locator("button.smtplearn-fault-send").click()
        expect(result).to_contain_text("5.1.1")
        expect(result).to_contain_text("one message for alice@example.com, carol@elsewhere.example")

    retry = _widget(page, ".smtplearn-retry-run")
    timeline = retry.locator(".smtplearn-retry-timeline")
    with _screenshot_afterwards(page, retry, "04-when-things-go-wrong-retry"):
        retry.locator("button.smtplearn-retry-run").click()
        expect(timeline).to_contain_text("451 4.7.1")
        expect(timeline).to_contain_text("delivered on attempt 2")


def test_lesson_05_pipelining_lab_and_extensions_lab(lab: JupyterServer, browser_page: Page) -> None:
    page = browser_page
    run_notebook_like_a_learner(
        page, lab, "05-pipelining-and-extensions.ipynb", screenshot="05-pipelining-and-extensions"
    )
    pipelining = _widget(page, ".smtplearn-pipelining-send")
    result = pipelining.locator(".smtplearn-pipelining-result")
    with _screenshot_afterwards(page, pipelining, "05-pipelining-and-extensions"):
        pipelining.locator("button.smtplearn-pipelining").click()  # PIPELINING off
        pipelining.locator("button.smtplearn-pipelining-send").click()
        # Five recipients in lock-step: MAIL, 5 × RCPT, DATA, the message.
        expect(result).to_contain_text("Last send: 8 round trips")
        pipelining.locator("button.smtplearn-pipelining").click()  # and on again
        pipelining.locator("button.smtplearn-pipelining-send").click()
        expect(result).to_contain_text("Last send: 2 round trips")
        expect(pipelining.locator(".smtplearn-pipelining-diagram svg")).to_have_count(1)
        expect(pipelining.locator(".smtplearn-pipelining-diagram")).to_contain_text("pipelined")

    extensions = _widget(page, ".smtplearn-ext-send")
    answer = extensions.locator(".smtplearn-ext-result")
    with _screenshot_afterwards(page, extensions, "05-pipelining-and-extensions-extensions"):
        extensions.locator(".smtplearn-ext-smtputf8 input").uncheck()
        extensions.locator("button.smtplearn-ext-send").click()
        expect(answer).to_contain_text("the client refused before sending")
        extensions.locator(".smtplearn-ext-smtputf8 input").check()
        extensions.locator("button.smtplearn-ext-send").click()
        expect(answer).to_contain_text("BODY=8BITMIME SMTPUTF8")
        expect(answer).to_contain_text("Subject: Crème brûlée")
        expect(answer).to_contain_text("250")


def test_lesson_07_server_log_pane_follows_the_socket_and_marks_a_bare_lf(
    lab: JupyterServer, browser_page: Page
) -> None:
    page = browser_page
    run_notebook_like_a_learner(page, lab, "07-raw-socket-lab.ipynb", screenshot="07-raw-socket-lab")
    pane = _widget(page, ".smtplearn-serverlog")
    shown = pane.locator(".smtplearn-serverlog")
    with _screenshot_afterwards(page, pane, "07-raw-socket-lab"):
        # A learner's own cell: a new socket, one command ended by a bare \n.
        notebook = current_notebook(page)
        notebook.locator(".jp-Cell").last.click()
        page.keyboard.press("Escape")
        page.keyboard.press("b")
        page.keyboard.press("Enter")
        page.keyboard.type(
            'raw = socket.create_connection((HOST, PORT))\nraw.sendall(b"EHLO learner.example\\n")\n'
        )
        page.keyboard.press("Shift+Enter")
        # The pane updates by itself (a session-log listener): no Refresh pressed.
        expect(shown).to_contain_text("EHLO learner.example")
        expect(shown).to_contain_text("ended in a bare \\n")
        expect(shown).to_contain_text("RFC 5321 §2.3.8")
        expect(shown.locator("tr.smtplearn-marked")).to_have_count(1)
        pane.locator("button.smtplearn-serverlog-refresh").click()
        expect(shown.locator("tr.smtplearn-marked")).to_contain_text("EHLO learner.example")


def test_lesson_08_world_map_sends_shows_each_hop_and_a_bounce(
    lab: JupyterServer, browser_page: Page
) -> None:
    page = browser_page
    run_notebook_like_a_learner(
        page, lab, "08-from-one-server-to-another.ipynb", screenshot="08-from-one-server-to-another"
    )
    world_map = _widget(page, ".smtplearn-world-send")
    timeline = world_map.locator(".smtplearn-world-timeline")
    hop_picker = world_map.locator(".smtplearn-world-hop select")
    hop_view = world_map.locator(".smtplearn-world-hop-view")
    with _screenshot_afterwards(page, world_map, "08-from-one-server-to-another"):
        expect(timeline).to_contain_text("No message yet")
        world_map.get_by_label("To", exact=True).fill("bob@example.org")
        world_map.get_by_label("Subject", exact=True).fill("From the browser")
        world_map.locator("button.smtplearn-world-send").click()
        expect(timeline).to_contain_text("From the browser — alice@example.com → bob@example.org")
        # Submission, the MX lookup and the MX's address, the relay's session, the delivery.
        expect(timeline).to_contain_text(
            re.compile(r"submitted[\s\S]*dns[\s\S]*dns[\s\S]*attempt[\s\S]*delivered\s+mx1\.example\.org")
        )
        # The mail program's own hop: TLS first, then the login (the page must not show the password).
        hop_picker.select_option(label="1. submitted — mail.example.com")
        expect(hop_view.locator(".smtplearn-transcript")).to_contain_text(
            re.compile(r"STARTTLS[\s\S]*AUTH[\s\S]*235 2\.7\.0 Authentication successful")
        )
        hop_picker.select_option(label="2. dns — mail.example.com")
        expect(hop_view).to_contain_text("example.org MX?")
        expect(hop_view).to_contain_text("RFC 5321 §5.1")
        hop_picker.select_option(label="4. attempt — mail.example.com")
        transcript = hop_view.locator(".smtplearn-transcript")
        # In this hop the submission server is the client, talking to the MX.
        expect(transcript).to_contain_text("220 mx1.example.org")
        expect(transcript).to_contain_text(
            re.compile(
                r"EHLO mail\.example\.com[\s\S]*MAIL FROM:<alice@example\.com>"
                r"[\s\S]*RCPT TO:<bob@example\.org>"
            )
        )
        expect(transcript).to_contain_text("Message accepted for delivery")

        world_map.get_by_label("To", exact=True).fill("nobody@example.org")
        world_map.get_by_label("Subject", exact=True).fill("Are you there?")
        world_map.locator("button.smtplearn-world-send").click()
        expect(timeline).to_contain_text("Are you there? — alice@example.com → nobody@example.org")
        expect(timeline).to_contain_text(re.compile(r"bounced\s+mail\.example\.com: 550 5\.1\.1"))
        # The bounce travels back to alice's own domain, from the null sender.
        hop_picker.select_option(label="8. attempt — mail.example.com")
        expect(hop_view.locator(".smtplearn-transcript")).to_contain_text(
            re.compile(r"MAIL FROM:<>[\s\S]*RCPT TO:<alice@example\.com>")
        )
        expect(timeline).to_contain_text(re.compile(r"delivered\s+mail\.example\.com"))

        shown = _notebook_shown(page)
        assert [form for form in _WORLD_PASSWORD_FORMS if form in shown] == []


def test_lesson_09_record_editor_updates_the_verdicts_as_records_change(
    lab: JupyterServer, browser_page: Page
) -> None:
    page = browser_page
    run_notebook_like_a_learner(
        page, lab, "09-who-really-sent-this.ipynb", screenshot="09-who-really-sent-this"
    )
    editor = _widget(page, ".smtplearn-record-spf")
    spf = editor.locator(".smtplearn-record-spf input")
    dkim = editor.locator(".smtplearn-record-dkim input")
    real, forged = (editor.locator(".smtplearn-verdicts li").nth(n) for n in (0, 1))

    def publish(field: Locator, record: str) -> None:
        # The fields send their value on Enter, as the lesson tells the learner.
        field.fill(record)
        field.press("Enter")

    with _screenshot_afterwards(page, editor, "09-who-really-sent-this"):
        expect(real).to_contain_text(
            "from mail.example.com [192.0.2.10], signed: SPF=pass DKIM=pass DMARC=pass"
        )
        expect(forged).to_contain_text("SPF=fail DKIM=none DMARC=fail → rejected (550 5.7.1)")

        # Let the forger's network send for example.com: the forgery passes SPF, aligned, so DMARC.
        publish(spf, "v=spf1 ip4:192.0.2.10 ip4:203.0.113.0/24 -all")
        expect(forged).to_contain_text("SPF=pass DKIM=none DMARC=pass → delivered")

        # A malformed record is a verdict (RFC 7208 permerror), not a traceback; DKIM still carries
        # the real message.
        publish(spf, "v=spf1 ip4:192.0.2.999 -all")
        expect(forged).to_contain_text("SPF=permerror DKIM=none DMARC=fail → rejected (550 5.7.1)")
        expect(real).to_contain_text("SPF=permerror DKIM=pass DMARC=pass → delivered")

        # Withdraw the DKIM key: nothing aligned passes for the real message either; publish it again.
        published_key = dkim.input_value()
        assert published_key.startswith("v=DKIM1")
        publish(dkim, "")
        expect(real).to_contain_text("SPF=permerror DKIM=fail DMARC=fail → rejected (550 5.7.1)")
        publish(dkim, published_key)
        expect(real).to_contain_text("SPF=permerror DKIM=pass DMARC=pass → delivered")

        assert notebook_problems(page) == []
        assert "PRIVATE KEY" not in _notebook_shown(page)
