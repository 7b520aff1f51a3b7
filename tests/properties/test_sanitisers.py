"""The chat's body renderer (escape, linkify, nh3) and the workshops' Markdown renderer (Markdown,
then nh3): whatever goes in, no script comes out, sanitising again changes nothing, and the
chat loses none of what was written."""

import html
import re

import nh3
from hypothesis import given
from hypothesis import strategies as st

from ateliers.rendering import ATTRIBUTES, TAGS, render_markdown
from chat.payloads import render_body
from tests.properties.strategies import PROPERTY, hostile_text, script_problems


def chat_sanitise(fragment: str) -> str:
    # The policy of chat.payloads.render_body, applied once more to its own output.
    return nh3.clean(
        fragment,
        tags={"a"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def markdown_sanitise(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


@PROPERTY
@given(hostile_text)
def test_chat_body_never_carries_a_script(text):
    rendered = str(render_body(text))

    assert script_problems(rendered) == []
    # Every tag left is a link made by the linkifier, opening in a new tab without opener (nh3
    # drops the href of a URL it finds invalid, such as one with a control character).
    for tag in re.findall(r"<[^>]*>", rendered):
        assert tag == "</a>" or tag.startswith(('<a href="http', "<a target=")), tag
        if tag != "</a>":
            assert 'rel="nofollow noopener noreferrer"' in tag
            assert 'target="_blank"' in tag


@PROPERTY
@given(hostile_text)
def test_chat_sanitising_twice_equals_once(text):
    once = str(render_body(text))

    assert chat_sanitise(once) == once


# Characters the HTML parser itself normalises (NUL, CR, noncharacters, lone surrogates) are
# left out: the round trip below is about what a person can type.
typed_text = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<script>",
                "&amp;",
                "<b>x</b>",
                "http://x.test/a?b=1&c=2",
                "https://x.test/.",
                "'",
                '"',
            ]
        ),
        st.text(
            alphabet=st.characters(
                blacklist_categories=("Cs", "Cc", "Co", "Cn"), blacklist_characters="\r"
            )
            | st.just("\n"),
            max_size=20,
        ),
    ),
    max_size=10,
).map("".join)


@PROPERTY
@given(typed_text)
def test_chat_body_shows_exactly_what_was_written(text):
    rendered = str(render_body(text))

    assert html.unescape(re.sub(r"<[^>]*>", "", rendered)) == text


@PROPERTY
@given(hostile_text)
def test_workshop_markdown_never_carries_a_script(text):
    rendered = render_markdown(text)

    assert script_problems(rendered) == []
    allowed = re.compile(r"</?(" + "|".join(sorted(TAGS)) + r")( [^<>]*)?/?>")
    assert "<" not in allowed.sub("", rendered)


@PROPERTY
@given(hostile_text)
def test_workshop_markdown_sanitising_twice_equals_once(text):
    once = render_markdown(text)

    assert markdown_sanitise(once) == once


def test_the_script_detector_sees_scripts():
    # The property above is only as good as its detector: it must see what a browser would run.
    for hostile in (
        "<script>x</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href=" JAVASCRIPT:alert(1)">x</a>',
        "<svg/onload=alert(1)>",
        '<p style="x">',
        "<iframe src=x></iframe>",
    ):
        assert script_problems(hostile), hostile
    assert script_problems('<a href="https://x.test/a:b">x</a> <a href="mailto:a@b.c">m</a>') == []
