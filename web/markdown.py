"""Answers as HTML: Markdown rendered by markdown-it-py, then cleaned by nh3 (Ammonia).

Models answer in Markdown (lists, tables, code). Raw HTML in the answer is not rendered
(``html=False``: it shows as text), and the HTML that comes out is sanitised against a short
allow-list anyway, so an answer can never bring script, styles, images or event handlers into
the page. Links keep only http(s) and mailto targets and open without a referrer.
"""

from __future__ import annotations

from functools import cache

import nh3
from markdown_it import MarkdownIt

_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote", "a",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
# No style attributes: the page's CSP refuses inline styles (and a table aligns well enough).
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(
        ["table", "strikethrough"]
    )


def to_html(text: str) -> str:
    """Safe HTML for one answer (``breaks``: a single newline is a line break, as typed)."""
    raw = _parser().render(text)
    return nh3.clean(
        raw,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
