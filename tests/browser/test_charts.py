"""The charts of insights/charts.py in Chromium: every kind on one page (static markup, no server),
audited with axe-core and walked with the keyboard."""

from pathlib import Path

import pytest
from django.utils import translation
from django.utils.html import escape as escape_html

from insights.charts import render_chart
from tests.test_insights_charts import FIGURES, SVG, parse

from .conftest import ROOT

pytestmark = pytest.mark.browser



def test_charts_pass_axe_and_every_number_is_reached_by_keyboard(browser, browser_tools):
    """Every kind on one page in Chromium: no axe violations inside the charts, and Tab walks through
    every linked number, each announced by its name (the SVG's role=group keeps them exposed)."""
    axe = Path(browser_tools["axe"])
    with translation.override("en"):
        charts = "".join(f"<h2>{escape_html(make().title)}</h2>{render_chart(make())}" for make in FIGURES.values())
        drawn = "".join(render_chart(make()) for make in FIGURES.values())
    static = ROOT / "static" / "css"
    styles = "".join((static / name).read_text(encoding="utf-8") for name in ("kb.css", "charts.css"))
    page_html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Charts</title>'
                 f"<style>{styles}</style></head><body><main><h1>Charts</h1>{charts}</main></body></html>")
    links = [a for a in parse(f"<div>{drawn}</div>").iter() if a.tag == f"{SVG}a"]
    context = browser.new_context(viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        page.set_content(page_html)
        page.evaluate(axe.read_text(encoding="utf-8") + "\n;undefined")
        violations = page.evaluate("""async () => (await axe.run({include: [".kb-chart"]},
            {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}))
            .violations.map(v => v.id + ": " + v.nodes.map(n => n.html.slice(0, 120)).join(" | "))""")
        assert violations == []
        names = []
        for _ in range(len(links) + 1):  # the heat map's scroll container takes focus once too
            page.keyboard.press("Tab")
            names.append(page.evaluate("document.activeElement.getAttribute('aria-label')"))
        assert names[0].endswith("(chart, scrolls sideways)")
        assert names[1:] == [a.get("aria-label") for a in links]
        # The focused number is visibly marked: its cell gets a thick dark outline.
        page.focus(".kb-chart--heatmap a")
        assert page.evaluate("getComputedStyle(document.activeElement.querySelector('rect')).strokeWidth") == "4px"
    finally:
        context.close()
