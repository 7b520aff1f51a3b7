"""Driving a page with the keyboard alone: Tab and Shift+Tab to reach a control by its
accessible name, then Enter, Space, arrow keys or typing. Each control reached must show where
the focus is."""

from __future__ import annotations

FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return {name: "", visible: false, tag: ""};
    const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
    const name = (el.getAttribute("aria-label") || label || el.innerText || el.value || "");
    const style = getComputedStyle(el);
    const target = el.type === "checkbox" || el.type === "radio" ? el.labels[0] : el;
    const before = target ? getComputedStyle(target, "::before") : style;
    const visible = style.outlineStyle !== "none" || style.boxShadow !== "none"
        || (target && getComputedStyle(target).outlineStyle !== "none")
        || (before && before.outlineStyle !== "none");
    return {name: name.replace(/\\s+/g, " ").trim(), visible: visible, tag: el.tagName};
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(
    page,
    name: str,
    *,
    exact: bool = False,
    tag: str | None = None,
    backwards: bool = False,
    limit: int = 150,
) -> dict:
    """Presses Tab (Shift+Tab) until the focused control's name is `name` (or starts with it,
    unless exact), and is a `tag` element when one is named."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        current = focused(page)
        seen.append(current["name"][:40])
        matches = current["name"] == name or (not exact and current["name"].startswith(name))
        if matches and (tag is None or current["tag"] == tag):
            assert current["visible"], f"no visible focus on {name!r}"
            return current
    raise AssertionError(f"{name!r} cannot be reached with Tab; reached {seen}")


def arrow_to(page, name: str, *, key: str = "ArrowDown", limit: int = 40) -> None:
    """In a radio group, presses an arrow key until the focused radio is `name`."""
    for _ in range(limit):
        if focused(page)["name"].startswith(name):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{name!r} cannot be reached with {key}")
