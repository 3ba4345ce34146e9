"""Shared helpers of the browser tests: interface strings in a language, axe-core, focus styles."""

import json
import re

from django.utils import translation

from .conftest import AXE

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}


def t(language: str, message: str) -> str:
    """``message`` as KB's interface shows it in ``language`` (from the compiled catalogues)."""
    with translation.override(language):
        return translation.gettext(message)


def exact(text: str) -> re.Pattern:
    """A pattern matching exactly ``text`` (for accessible names)."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def run_axe(page, tags=AXE_TAGS) -> list[dict]:
    """axe-core's violations on the page as it is now, with the nodes of each."""
    # Evaluated through the debugging protocol, not as a <script> tag: the public pages' CSP rightly
    # refuses inline scripts, and the audit must see the page under its real policy.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 300), summary: n.failureSummary})),
            }));
        }""",
        tags,
    )
    return results


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in FAILING_IMPACTS]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html']}")
            if node["summary"]:
                lines.append("      " + node["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


# The computed styles that make a focus indicator, of one element or (when none is given) of
# document.activeElement.
FOCUS_STYLE_JS = """(element) => {
    const el = element || document.activeElement;
    const s = getComputedStyle(el);
    return {outline: [s.outlineStyle, s.outlineWidth, s.outlineColor, s.outlineOffset].join(" "),
            outlineStyle: s.outlineStyle, boxShadow: s.boxShadow,
            border: s.borderColor + " " + s.borderWidth, background: s.backgroundColor};
}"""


def visible_focus(focused: dict, unfocused: dict) -> bool:
    """Whether the focused style shows an indicator the unfocused one does not."""
    outline = focused["outlineStyle"] != "none" and focused["outline"] != unfocused["outline"]
    shadow = focused["boxShadow"] != "none" and focused["boxShadow"] != unfocused["boxShadow"]
    return outline or shadow


def dump(path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
