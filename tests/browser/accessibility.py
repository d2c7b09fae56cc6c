"""Accessibility checks in the browser: axe-core over a lesson's own content, in either theme.

What lives here: running axe-core (the copy that ``axe-playwright-python`` ships, injected
into the page, so nothing is fetched) over the rendered markdown and the outputs of the
notebook on screen, keeping the serious and critical WCAG 2.1 A/AA violations; and
switching JupyterLab's theme the way a learner does, through the Settings menu, within
one page and one server. What doesn't: JupyterLab's own chrome (menus, toolbars, the file
browser), which is JupyterLab's to fix, not ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page, expect

from .jupyter import JupyterServer, whole_notebook_in_view

LIGHT, DARK = "JupyterLab Light", "JupyterLab Dark"

#: The WCAG 2.0 and 2.1 level A and AA rules (axe's tags for them).
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
#: What must never be found: a learner using assistive technology is blocked or badly hindered.
BLOCKING = ("serious", "critical")

# The lesson's own content: what its markdown cells render to and what its code cells
# output (HTML, SVG, widgets), in the notebook on screen. Axe reads colours from the
# ancestors too, so the contrast it measures is the one against the theme's background.
_OWN_CONTENT = ".jp-Notebook:not(.lm-mod-hidden) :is(.jp-MarkdownOutput, .jp-OutputArea-output)"

# JupyterLab's <body> has no height (the lab inside is positioned absolutely) and hides its
# overflow: axe takes that for a clip and every cell for hidden, so its visual rules (colour
# contrast) would silently pass. Giving html and body the viewport's height changes nothing
# on screen and lets axe see what the learner sees.
_RUN_AXE_JS = """
async ([selector, tags]) => {
  document.documentElement.style.height = document.body.style.height = '100%';
  const include = [...document.querySelectorAll(selector)].filter(e => e.checkVisibility());
  if (include.length === 0) return {findings: [], audited: 0};
  const results = await axe.run(include, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  const findings = results.violations.flatMap(v => v.nodes.map(node => {
    const element = document.querySelector(node.target[0]);
    return {
      rule: v.id, impact: v.impact, target: node.target.join(' '),
      summary: (node.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 300),
      markdownLink: !!element && element.tagName === 'A' && !element.hasAttribute('style')
        && !!element.closest('.jp-MarkdownOutput'),
    };
  }));
  return {findings, audited: include.length};
}
"""


@dataclass(frozen=True)
class Audit:
    """What axe found, split into ours to fix and JupyterLab's markdown link style."""

    #: Serious and critical violations, one line per element: rule, impact, where, and why.
    blocking: list[str]
    #: Links in rendered markdown flagged by ``link-in-text-block`` (serious): JupyterLab's
    #: stylesheet takes their underline off (``.jp-RenderedHTMLCommon a:link``), and a
    #: notebook cannot put it back. Counted and reported, not failed on; our own HTML's
    #: links carry an underline of their own and count as ``blocking``.
    jupyterlab_markdown_links: int


def audit(page: Page) -> Audit:
    """Run axe over the visible notebook's own content, all of it in view (see above)."""
    page.evaluate(AXE_SCRIPT)
    with whole_notebook_in_view(page):
        result: dict[str, Any] = page.evaluate(_RUN_AXE_JS, [_OWN_CONTENT, list(WCAG_21_AA)])
    assert result["audited"] > 0, "axe found no notebook content to audit"
    blocking, markdown_links = [], 0
    for finding in result["findings"]:
        if finding["impact"] not in BLOCKING:
            continue
        if finding["rule"] == "link-in-text-block" and finding["markdownLink"]:
            markdown_links += 1
            continue
        blocking.append(
            f"{finding['rule']} ({finding['impact']}) at {finding['target']}: {finding['summary']}"
        )
    return Audit(blocking, markdown_links)


def use_theme(page: Page, theme: str) -> None:
    """Choose *theme* in Settings ▸ Theme, as a learner would, and wait until it applies."""
    page.locator(".lm-MenuBar-item").filter(has_text=re.compile(r"^Settings$")).click()
    page.locator(".lm-Menu-item[data-type='submenu']").filter(has_text=re.compile(r"^Theme$")).hover()
    page.locator(".lm-Menu-item[data-command='apputils:change-theme']").filter(
        has_text=re.compile(rf"^{re.escape(theme)}$")
    ).click()
    # JupyterLab saves the choice, loads the theme's stylesheet, then marks the body.
    expect(page.locator("body")).to_have_attribute("data-jp-theme-name", theme)


@contextmanager
def switched_theme(page: Page, server: JupyterServer, theme: str) -> Iterator[None]:
    """Within the block the page shows *theme*, switched live like a learner does it.

    The choice is a user setting the server keeps. Afterwards the server's setting is put
    back to the light theme directly (switching back in the page would restyle the whole
    notebook once more, for nothing): this page stays as it is, the next one opens light.
    """
    use_theme(page, theme)
    try:
        yield
    finally:
        server.put_setting(_THEMES_PLUGIN, {"theme": LIGHT})


_THEMES_PLUGIN = "@jupyterlab/apputils-extension:themes"

# For every element of the lesson's content painted with a background of its own (the
# inline styles of our HTML), its luminance (WCAG's formula): the canvas resolves any CSS
# colour, theme variables and color-mix() included, to the pixel the learner sees.
_BACKGROUNDS_JS = """
([selector]) => {
  const ctx = Object.assign(document.createElement('canvas'), {width: 1, height: 1})
    .getContext('2d', {willReadFrequently: true});
  const pixel = (css, sentinel) => {
    ctx.fillStyle = sentinel; ctx.fillStyle = css;
    ctx.clearRect(0, 0, 1, 1); ctx.fillRect(0, 0, 1, 1);
    return [...ctx.getImageData(0, 0, 1, 1).data];
  };
  const channel = c => (c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  const found = [];
  for (const root of document.querySelectorAll(selector)) {
    if (!root.checkVisibility()) continue;
    for (const el of root.querySelectorAll('[style*="background"]')) {
      if (!el.checkVisibility()) continue;
      const css = getComputedStyle(el).backgroundColor;
      const [r, g, b, a] = pixel(css, '#000');
      if (String(pixel(css, '#fff')) !== String([r, g, b, a]))
        found.push({what: el.outerHTML.slice(0, 120), css, luminance: null});
      else if (a > 0)
        found.push({what: el.outerHTML.slice(0, 120), css,
                    luminance: 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)});
    }
  }
  return found;
}
"""


def backgrounds_against_the_theme(page: Page, *, dark: bool) -> list[str]:
    """Our painted boxes that do not follow the theme: light ones in a dark theme, or the reverse.

    The threshold sits far from both themes' surfaces (dark: luminance about 0.01, a tinted
    line 0.03; light: 1.0, a tinted line 0.85): only a box that ignores the theme crosses it.
    A colour the canvas cannot read counts as wrong, so the check cannot pass by not looking.
    """
    painted: list[dict[str, Any]] = page.evaluate(_BACKGROUNDS_JS, [_OWN_CONTENT])
    wrong = []
    for box in painted:
        luminance = box["luminance"]
        if luminance is None or (luminance > 0.2 if dark else luminance < 0.5):
            wrong.append(f"{box['css']} (luminance {luminance}) on {box['what']}")
    return wrong
