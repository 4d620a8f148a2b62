"""Problems found in an invoice before anything reaches QuickBooks, as data.

A problem names the form field it belongs to (``customer-email``, ``lines-2-quantity``), a
stable code and the values a message needs. Nothing here is worded: the web layer turns each
code into a sentence through the gettext catalogs, so English, Finnish and Russian users read
the same problem in their own language, and tests can assert codes instead of prose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

__all__ = ["Severity", "Problem", "blocking", "by_field", "merge"]


class Severity(StrEnum):
    # An error stops "Create invoice"; a warning is shown beside the field and posting goes on.
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: ``field`` is the form key, ``code`` a stable identifier, ``params`` its data.

    ``params`` values are strings, numbers or dates the message interpolates; they are frozen
    so a problem can be hashed, compared and shared between requests.
    """

    field: str
    code: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)
    severity: Severity = Severity.ERROR

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def __hash__(self) -> int:
        return hash((self.field, self.code, tuple(sorted(self.params.items())), self.severity))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return (self.field, self.code, dict(self.params), self.severity) == (
            other.field,
            other.code,
            dict(other.params),
            other.severity,
        )

    def __repr__(self) -> str:
        params = f", {dict(self.params)!r}" if self.params else ""
        warn = ", warning" if self.severity is Severity.WARNING else ""
        return f"Problem({self.field!r}, {self.code!r}{params}{warn})"


def blocking(problems: Iterable[Problem]) -> bool:
    """Whether any problem stops the invoice from being posted."""
    return any(problem.severity is Severity.ERROR for problem in problems)


def by_field(problems: Iterable[Problem]) -> dict[str, list[Problem]]:
    """Problems grouped by the field they are shown next to, in the order found."""
    grouped: dict[str, list[Problem]] = {}
    for problem in problems:
        grouped.setdefault(problem.field, []).append(problem)
    return grouped


def merge(form: Iterable[Problem], checks: Iterable[Problem]) -> tuple[Problem, ...]:
    """Form problems first; a check's problem on a field the form already flagged is dropped
    (an unreadable date is not also a missing one)."""
    form = tuple(form)
    flagged = {problem.field for problem in form}
    return form + tuple(problem for problem in checks if problem.field not in flagged)
