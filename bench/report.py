"""What a benchmark prints: per benchmark a table of measured figures (each against its target
where it has one, with the ratio), and at the end one line per target, met or missed by how
much. Figures without a target are there to explain the ones with one."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Figure", "Section", "print_section", "summary_lines"]


def _number(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure; with ``target`` it is checked (measured <= limit)."""

    label: str
    measured: float
    unit: str = ""
    limit: float | None = None
    target: str = ""  # the target's name in the summary; empty: the label
    note: str = ""  # why, when it is missed for a known reason

    @property
    def checked(self) -> bool:
        return self.limit is not None

    @property
    def met(self) -> bool:
        return self.limit is None or self.measured <= self.limit + 1e-9

    def value(self, number: float) -> str:
        return f"{_number(number)}{self.unit}"

    @property
    def ratio(self) -> str:
        if self.limit is None:
            return ""
        if self.limit == 0:
            return "-" if self.measured == 0 else "over 0"
        return f"{self.measured / self.limit:.2f}"

    @property
    def shortfall(self) -> str:
        """By how much a missed target is missed."""
        assert self.limit is not None
        if self.limit == 0:
            return f"by {self.value(self.measured)}"
        return f"by {(self.measured / self.limit - 1) * 100:.0f}%"


@dataclass(slots=True)
class Section:
    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, label: str, measured: float, unit: str = "", **target: object) -> Figure:
        figure = Figure(label, measured, unit, **target)  # type: ignore[arg-type]
        self.figures.append(figure)
        return figure


def print_section(section: Section) -> None:
    width = max([len(f.label) for f in section.figures] + [30])
    print(f"\n== {section.title}")
    print(f"  {'figure':<{width}}  {'measured':>14}  {'target':>14}  {'ratio':>6}")
    for figure in section.figures:
        target = f"<= {figure.value(figure.limit)}" if figure.limit is not None else ""
        print(
            f"  {figure.label:<{width}}  {figure.value(figure.measured):>14}"
            f"  {target:>14}  {figure.ratio:>6}"
        )
    for note in section.notes:
        print(f"  note: {note}")


def summary_lines(sections: list[Section]) -> list[str]:
    lines = []
    for section in sections:
        for figure in section.figures:
            if not figure.checked:
                continue
            assert figure.limit is not None
            name = figure.target or figure.label
            text = (
                f"{name}: {figure.value(figure.measured)} (target <= {figure.value(figure.limit)})"
            )
            if figure.met:
                lines.append(f"MET     {text}")
            else:
                why = f"; {figure.note}" if figure.note else ""
                lines.append(f"MISSED  {text} {figure.shortfall}{why}")
    return lines
