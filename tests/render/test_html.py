"""HTML renderings: escaped, deterministic, self-contained, explained line by line."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from render_records import auth_session, ex, reply, seed_session, step

from smtplearn.explain import explain
from smtplearn.protocol.replies import Reply
from smtplearn.render.html import explanation_html, reply_html, step_html, transcript_html


class _Lines(HTMLParser):
    """Collects (style, title, text) of every line div, and checks tags balance."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, str, str]] = []
        self.stack: list[str] = []
        self.links: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)
        found = dict(attrs)
        if tag == "a":
            self.links.append(found.get("href") or "")
        if tag == "div" and "title" in found:
            self._current = [found.get("style") or "", found.get("title") or "", ""]

    def handle_endtag(self, tag: str) -> None:
        assert self.stack.pop() == tag
        if tag == "div" and self._current is not None:
            style, title, text = self._current
            self.lines.append((style, title, text))
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current[2] += data


def parse(markup: str) -> _Lines:
    parser = _Lines()
    parser.feed(markup)
    parser.close()
    assert parser.stack == []
    return parser


def test_transcript_lines_match_the_arrow_log_after_unescaping() -> None:
    session = auth_session()
    parsed = parse(transcript_html(session))
    assert [text for _, _, text in parsed.lines] == session.arrows().splitlines()


def test_everything_is_escaped() -> None:
    markup = transcript_html(auth_session())
    # The message body holds "<b>&amp;</b>": it must arrive as text, never as markup.
    assert "<b>" not in markup
    assert "Hello &lt;b&gt;&amp;amp;&lt;/b&gt;" in markup
    evil = step("noop", "NOOP", ex("NOOP", reply(250, '"><script>alert(1)</script>')))
    assert "<script" not in step_html(evil)
    assert "<script" not in reply_html(Reply(550, ("<script>x</script>",)))


def test_deterministic_and_self_contained() -> None:
    first, second = transcript_html(seed_session()), transcript_html(seed_session())
    assert first == second
    assert re.search(r"\bid=", first) is None
    assert "<style" not in first and "<script" not in first and "<link" not in first


def test_sent_and_received_look_different_and_replies_by_class() -> None:
    parsed = parse(transcript_html(auth_session()))
    sent = {s for s, _, t in parsed.lines if t.startswith((" -> ", " ~> "))}
    ok = {s for s, _, t in parsed.lines if t.startswith(("<-  2", "<~  2"))}
    refused = {s for s, _, t in parsed.lines if t.startswith(("<-  5", "<~  5"))}
    assert sent and ok and refused
    assert sent.isdisjoint(ok) and ok.isdisjoint(refused)


def test_each_line_carries_its_explanation() -> None:
    parsed = parse(transcript_html(auth_session()))
    titles = {text: title for _, title, text in parsed.lines}
    assert titles[" -> STARTTLS"].startswith("STARTTLS — switch to TLS")
    assert "Ready to start TLS" in titles["<-  220 2.0.0 Ready to start TLS"]
    assert "RFC 3207 §4" in titles["<-  220 2.0.0 Ready to start TLS"]
    assert titles["<-  250-PIPELINING"].startswith("PIPELINING")
    assert "PLAIN —" in titles["<-  250 AUTH PLAIN LOGIN"]
    assert (
        "5.1.1 Bad destination mailbox address" in titles["<~  550 5.1.1 <nobody@example.com>: no such user"]
    )


def test_steps_have_details_with_rfc_links() -> None:
    markup = step_html(seed_session()[1])
    assert "<details" in markup and "explain mail" in markup
    links = parse(markup).links
    assert "https://www.rfc-editor.org/rfc/rfc5321.html#section-4.1.1.2" in links
    assert "https://www.rfc-editor.org/rfc/rfc3463.html#section-3.2" in links


def test_reply_and_explanation_html() -> None:
    markup = reply_html(Reply(550, ("5.1.1 <notthere>... User unknown",)))
    parsed = parse(markup)
    assert [t for _, _, t in parsed.lines] == ["550 5.1.1 <notthere>... User unknown"]
    assert "https://www.rfc-editor.org/rfc/rfc5321.html#section-4.2.3" in parsed.links
    assert explanation_html(explain("NOSUCH")).count("<a ") == 0
    assert explain("MAIL")._repr_html_() == explanation_html(explain("MAIL"))
    assert seed_session()[0]._repr_html_() == step_html(seed_session()[0])
    assert seed_session()._repr_html_() == transcript_html(seed_session())
