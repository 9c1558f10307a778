"""User text is shown literally: never as HTML, never as Markdown formatting.

Two kinds of check: the helpers of nexus_panel.views.safe render hostile names inert
(through Panel's own Markdown renderer, as a page does), and a scan of every view and page
module fails when a Markdown/Alert/HTML pane, a pane's ``object`` or a notification gets a
string formatted in place (f-string, ``.format``, ``%``, ``+``) instead of one built by
nexus_panel.views.safe, so a new page cannot forget the escaping.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rendering import shown, shown_html

from nexus_panel.views import safe

HOSTILE = [
    '<img src=x onerror="window.__nx_xss=1">',
    "<script>window.__nx_xss=2</script>",
    "**bold** _it_ `code` [link](javascript:window.__nx_xss=3) ![i](x)",
    "# heading\n- item\n> quote",
    "http://evil.example/?a=1&b=2",
    "a|b|c\n---|---|---",
    "&lt;img&gt; &amp; &#60;",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_markdown_shows_the_value_literally(value: str) -> None:
    html, text = shown(safe.md("Saved **{name}**.", name=value))
    assert "<img" not in html and "<script" not in html and "<a " not in html
    assert "<h1" not in html and "<li" not in html and "<table" not in html
    assert text == "Saved " + " ".join(value.split()) + "."


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_any_text_renders_as_exactly_itself(value: str) -> None:
    # newlines and runs of spaces collapse to one space in inline text; nothing else changes
    value = value.replace("\x00", "")
    _, text = shown(safe.md("[{v}]", v=value))
    assert text == "[" + " ".join(value.split()) + "]"


def test_block_keeps_line_breaks_and_html_text_escapes_attributes() -> None:
    _, text = shown(safe.block("line one <b>\n**line** two"))
    assert text == "line one <b>\n**line** two"
    attr = safe.html_text('"><script>x</script>')
    html, text = shown_html(f'<a title="{attr}">{attr}</a>')
    assert "<script" not in html and text == '"><script>x</script>'


# --- every pane and notification in views/ and pages/ goes through nexus_panel.views.safe ---
ROOT = Path(__file__).resolve().parents[2] / "nexus_panel"
PANES = {"Markdown", "Alert", "HTML"}
NOTIFY = {"error", "warning", "info", "success", "send"}


def _formatted_in_place(node: ast.AST) -> bool:
    """A string formatted right here (f-string, ``.format``, ``%``), alone or as part of a
    ``+`` concatenation: where user text gets into a page unescaped. (Pieces built
    elsewhere and joined with ``+`` are checked where they are built.)"""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _formatted_in_place(node.left) or _formatted_in_place(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and not _is_safe_call(node)
    return False


def _is_safe_call(node: ast.Call) -> bool:
    func = node.func
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
        and func.value.id == "safe"


def _text_argument(call: ast.Call) -> ast.AST | None:
    if call.args:
        return call.args[0]
    for keyword in call.keywords:
        if keyword.arg == "object":
            return keyword.value
    return None


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            owner = node.func.value
            pane = attr in PANES and isinstance(owner, ast.Attribute) and owner.attr == "pane"
            toast = attr in NOTIFY and isinstance(owner, ast.Attribute) \
                and owner.attr == "notifications"
            if pane or toast:
                arg = _text_argument(node)
                if arg is not None and _formatted_in_place(arg):
                    out.append(f"{path.name}:{node.lineno} {attr}")
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Attribute) and t.attr == "object" for t in node.targets) \
                and _formatted_in_place(node.value):
            out.append(f"{path.name}:{node.lineno} .object =")
    return sorted(out, key=lambda o: int(o.split(":")[1].split()[0]))


def test_no_pane_or_toast_gets_text_formatted_in_place() -> None:
    files = sorted([*(ROOT / "views").glob("*.py"), *(ROOT / "pages").glob("*.py")])
    assert len(files) > 20
    offences = [o for f in files if f.name != "safe.py" for o in _offences(f)]
    assert offences == [], "format these through nexus_panel.views.safe: " + ", ".join(offences)


def test_the_scan_finds_what_it_should() -> None:
    sample = Path(__file__).with_name("_scan_sample.py")
    sample.write_text(
        "import panel as pn\nname = 'x'\n"
        "pn.pane.Markdown(f'Saved {name}')\n"
        "pn.pane.Alert('a ' + f'{name}')\npn.pane.Alert('a ' + other)\n"
        "pn.state.notifications.error('{}'.format(name))\n"
        "pane = pn.pane.HTML('')\npane.object = f'<b>{name}</b>'\n"
        "pn.pane.Markdown(safe.md('Saved {n}', n=name))\npn.pane.Markdown('plain')\n")
    try:
        assert [o.split(" ", 1)[1] for o in _offences(sample)] == [
            "Markdown", "Alert", "error", ".object ="]
    finally:
        sample.unlink()


def test_multichoice_only_offers_app_made_options() -> None:
    """Bokeh's MultiChoice shows its labels as HTML (Choices.js re-reads them from the DOM,
    so escaping does not help): it may only offer options the app itself makes, never
    names from users. analysis_network offers step numbers."""
    allowed = {"analysis_network.py"}
    users = sorted(p.name for p in ROOT.rglob("*.py")
                   if "widgets.MultiChoice" in p.read_text())
    assert set(users) <= allowed, f"MultiChoice with user text? {users}"
