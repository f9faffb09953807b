"""axe-core on the demo page with the widget open, cards and quick replies shown."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from webwidget import AXE, Widget, require

pytestmark = pytest.mark.e2e

RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    resultTypes: ["violations"],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


@pytest.mark.parametrize("language", ["sv", "fi"])
def test_no_serious_axe_violations(open_page: Any, web_url: str, language: str) -> None:
    require(AXE.exists(), f"axe-core missing at {AXE}: run `npm ci` (make test does)")
    # The demo page's CSP forbids inline scripts; axe is test tooling, so it may bypass it.
    page = open_page(bypass_csp=True)
    widget = Widget(page, web_url)
    widget.open()
    widget.choose_language(language)
    interest, place = {"sv": ("jag gillar att skruva på mopeder", "jag bor i Umeå"),
                       "fi": ("mä tykkään koodata", "asun Turussa")}[language]
    widget.send(interest)
    widget.send(place)
    expect(page.locator(".vv-card").first).to_be_visible()
    expect(page.locator(".vv-quick-button").first).to_be_visible()
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, serious
