"""Lesson text: Markdown written by managers, rendered to HTML and then sanitised with nh3, so
that a pasted script or event handler never reaches a seeker's page."""

import markdown
import nh3

TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "li", "ol", "p",
    "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    # One pass of nh3 can leave markup a browser re-parses differently (a <p> inside a <p> once
    # a raw <object> is removed); sanitising until nothing changes gives what was checked.
    for _ in range(4):
        cleaned = _clean(html)
        if cleaned == html:
            break
        html = cleaned
    return html
