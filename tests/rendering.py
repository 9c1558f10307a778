"""What a user sees of a Markdown string: rendered by Panel's Markdown pane, as text."""

from __future__ import annotations

import html as html_lib
from html.parser import HTMLParser


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.parts and self.parts[-1] == "\n":  # the source newline after a <br>
            data = data.lstrip("\n")
        self.parts.append(data)


def shown_html(html: str) -> tuple[str, str]:
    """(the HTML, the text a browser shows of it without its outer whitespace)."""
    parser = _Text()
    parser.feed(html)
    return html, "".join(parser.parts).strip()


def shown(markdown: str) -> tuple[str, str]:
    """(the HTML Panel's Markdown pane sends to the browser, the text it shows)."""
    import panel as pn

    pane = pn.pane.Markdown(markdown)
    html = html_lib.unescape(pane._transform_object(pane.object)["object"])
    return shown_html(html)


def text(markdown: str) -> str:
    """Only the text a user sees of ``markdown``."""
    return shown(markdown)[1]
