"""Shared pieces of the property tests: the profile (1,000 examples, no deadline, derandomized
so that a run is reproducible and CI never meets a new example by chance), hostile text, and
a check that a piece of HTML can run no script."""

from html.parser import HTMLParser

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

PROPERTY = settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    database=None,
    # Fixtures used under @given hand out a fresh object per call (see each one).
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//x.test/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "![x](x onerror=alert(1))",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "<object data=x.swf>",
    "<embed src=x>",
    "<style>@import 'x'</style>",
    '<div style="background:url(javascript:alert(1))">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<base href=//x.test/>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<!--<script>-->",
    "<![CDATA[<script>]]>",
    "{{ request }}",
    "{% debug %}",
    "' OR 1=1 --",
    '"><script>alert(1)</script>',
    "http://x.test/?q=<script>alert(1)</script>",
    'https://x.test/"onmouseover="alert(1)',
    "https://x.test/`onmouseover=alert(1)`",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\u202e\u200b\ufeff",
    "<",
    ">",
    "&",
    '"',
    "'",
    "\n",
    "`",
    "*",
    "_",
    "[",
    "](",
    ")",
    "http://",
    "https://x.test/",
    " ",
]

hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=20)), max_size=12).map(
    "".join
)

SAFE_SCHEMES = ("http:", "https:", "mailto:")
DANGEROUS_TAGS = {
    "script", "iframe", "object", "embed", "svg", "math", "style", "link", "meta", "base",
    "form", "frame", "frameset", "applet", "template", "noscript", "img", "video", "audio",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "background"}


class _ScriptFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"{tag}[{name}]")
            if name in URL_ATTRIBUTES:
                # Browsers drop ASCII whitespace and control characters inside the scheme.
                url = "".join(ch for ch in (value or "") if ord(ch) > 0x20).lower()
                if ":" in url.split("/", 1)[0] and not url.startswith(SAFE_SCHEMES):
                    self.problems.append(f"{tag}[{name}={value!r}]")

    handle_startendtag = handle_starttag


def script_problems(html: str) -> list[str]:
    """What in this HTML could run a script (a script-like tag, an event handler, a style, a
    URL with another scheme than http, https or mailto); empty when nothing could."""
    finder = _ScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.problems
