"""What every section hands back, and the table the runner prints from it.

A section measures figures (anything worth reading: counts, seconds, bytes) and checks
invariants (statements that must hold; one that does not fails the run).
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

Figure = tuple[str, object]
Invariant = tuple[str, bool]


@dataclass
class Outcome:
    figures: list[Figure] = field(default_factory=list)
    invariants: list[Invariant] = field(default_factory=list)

    def figure(self, name: str, value: object) -> None:
        self.figures.append((name, value))

    def check(self, name: str, held: bool) -> bool:
        self.invariants.append((name, bool(held)))
        return bool(held)

    @property
    def failed(self) -> list[str]:
        return [name for name, held in self.invariants if not held]


def width(text: str) -> int:
    """Columns a terminal gives `text`: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def table(sections: Iterable[tuple[str, Outcome]]) -> list[str]:
    """One block per section: figures with their values, then invariants with ok / FAILED."""
    sections = list(sections)
    names = [n for _, o in sections for n, _ in (*o.figures, *o.invariants)]
    columns = max((width(n) for n in names), default=20) + 2
    lines: list[str] = []
    for title, outcome in sections:
        lines += ["", f"== {title}", ""]
        for name, value in outcome.figures:
            lines.append(f"  {pad(name, columns)}{shown(value)}")
        if outcome.figures and outcome.invariants:
            lines.append("")
        for name, held in outcome.invariants:
            lines.append(f"  {pad(name, columns)}{'ok' if held else 'FAILED'}")
    return lines


def summary(sections: Iterable[tuple[str, Outcome]], seconds: float) -> str:
    sections = list(sections)
    total = sum(len(o.invariants) for _, o in sections)
    failed = sum(len(o.failed) for _, o in sections)
    verdict = "all held" if not failed else f"{failed} FAILED"
    return f"{total} invariants, {verdict}; {len(sections)} sections in {seconds:.1f} s"
