"""What each app holds of a seeker's personal data, and how to export, erase and purge it.

An app declares its categories in its own `privacy.py`:

    from privacy.registry import Category, register
    register(Category("messages", _("Messages"), export=..., erase=..., purge=...))

- export(seeker) -> JSON-serialisable data of that category;
- erase(seeker) -> removes what the law does not oblige the agency to keep;
- purge(now) -> removes what is past its retention period, for every seeker; returns a count.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    export: Callable
    erase: Callable | None = None
    purge: Callable | None = None
    # What the agency keeps on erasure, and why (shown to the manager who handles it).
    kept: str = ""


_categories: dict[str, Category] = {}


def register(category: Category) -> Category:
    if category.key in _categories and _categories[category.key] != category:
        raise ValueError(f"Privacy category {category.key!r} is registered twice.")
    _categories[category.key] = category
    return category


def categories() -> list[Category]:
    return sorted(_categories.values(), key=lambda c: c.key)
