"""Answers render as Markdown, and nothing in an answer can bring script or styles into the page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from web.markdown import to_html


class _Elements(HTMLParser):
    """Every element and attribute the browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


def test_lists_tables_and_code_render() -> None:
    html = to_html(
        "## 要点\n- **見積り**を送る\n\n| 担当 | 期限 |\n|---|---|\n| 佐藤 | 12/10 |\n\n`code`"
    )
    assert "<h2>要点</h2>" in html
    assert "<li><strong>見積り</strong>を送る</li>" in html
    assert "<td>佐藤</td>" in html
    assert "<code>code</code>" in html


def test_a_single_newline_is_a_line_break() -> None:
    assert to_html("一行目\n二行目") == "<p>一行目<br>\n二行目</p>\n"


@pytest.mark.parametrize(
    "answer",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[クリック](javascript:alert(1))",
        '<a href="https://evil.example" onclick="steal()">x</a>',
        "![追跡](https://evil.example/pixel.png)",
        '<div style="position:fixed">偽の画面</div>',
        "<iframe src=https://evil.example></iframe>",
    ],
)
def test_nothing_active_survives(answer: str) -> None:
    for tag, attributes in _elements(to_html(answer)):
        assert tag in {"p", "a", "br"}
        assert set(attributes) <= {"href", "rel"}
        assert not (attributes.get("href") or "").startswith("javascript")


def test_links_open_without_a_referrer() -> None:
    html = to_html("[資料](https://example.co.jp/a)")
    assert 'href="https://example.co.jp/a"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
