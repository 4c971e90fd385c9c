"""Element-level difference between two versions of an item's content (版本比对)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yiwang.catalog.schema import element_label

# Lists whose rows have an identity: compared row by row by that key, not by position.
_IDENTITY = {"materials": "code", "form": "key", "fees": "name", "results": "name"}


@dataclass(frozen=True)
class Change:
    """One changed element: ``path`` (``materials.id_card.necessity``), its Chinese label, old and new."""

    path: str
    label: str
    old: Any
    new: Any

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed"


def _label(path: list[str]) -> str:
    return element_label(".".join(p for p in path if not p.startswith("#"))) + "".join(
        f"（{p[1:]}）" for p in path if p.startswith("#")
    )


def _walk(old: Any, new: Any, path: list[str], out: list[Change]) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            _walk(old.get(key), new.get(key), [*path, key], out)
        return
    key_name = _IDENTITY.get(path[-1]) if path else None
    if isinstance(old, list) and isinstance(new, list) and key_name:
        old_rows = {row.get(key_name): row for row in old if isinstance(row, dict)}
        new_rows = {row.get(key_name): row for row in new if isinstance(row, dict)}
        for identity in [*old_rows, *(k for k in new_rows if k not in old_rows)]:
            _walk(old_rows.get(identity), new_rows.get(identity), [*path, f"#{identity}"], out)
        return
    if isinstance(old, list) and isinstance(new, list) and all(isinstance(r, dict) for r in [*old, *new]):
        for index in range(max(len(old), len(new))):
            _walk(
                old[index] if index < len(old) else None,
                new[index] if index < len(new) else None,
                [*path, str(index)],
                out,
            )
        return
    out.append(Change(path=".".join(path), label=_label(path), old=old, new=new))


def content_diff(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Change]:
    """Every leaf element that differs; identity lists (materials, form fields, fees, results) by key."""
    out: list[Change] = []
    _walk(old or {}, new or {}, [], out)
    return out
