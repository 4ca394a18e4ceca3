"""Work budgets: what a request may cost, counted before (or while) the work is done.

A member must not be able to tie up a worker: a range of shifts, a rota preview, an iCal file's
expansion, a campaign all estimate or count their units of work against a budget and answer 422
naming the field the moment the budget would be exceeded — before the expensive part runs.
The counter (`spent`) is the budget's own clock: tests assert on it instead of wall time.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import Problem

#: Resolved shift segments one request may compute (a year of hourly shifts is 8,784; about
#: 60 µs each end to end, so about a second at most).
DEFAULT_SHIFT_BUDGET = 20_000
#: Occurrences one iCal file may expand to, across all its series.
DEFAULT_ICAL_OCCURRENCES = 2_500
#: Estimated recurrence candidates dateutil may walk for one iCal file, across all its series.
DEFAULT_ICAL_STEPS = 250_000


class BudgetExceededError(Problem):
    """The 422 naming the field to change; a Problem, so API and pages answer it as such."""

    def __init__(self, budget: WorkBudget, needed: int) -> None:
        reason = budget.reason(needed)
        super().__init__(
            422, f"{budget.field}: {reason}", errors=[{"field": budget.field, "reason": reason}]
        )
        self.budget = budget
        self.needed = needed


@dataclass
class WorkBudget:
    """At most `limit` units of `what`; `spent` counts what was used (or is about to be)."""

    limit: int
    what: str
    field: str
    hint: str = ""
    spent: int = 0

    def reason(self, needed: int) -> str:
        """Why the request was refused, said so the caller knows what to change."""
        text = f"would need more than {self.limit} {self.what} (about {needed})"
        return f"{text}; {self.hint}" if self.hint else text

    def check(self, estimated: int) -> None:
        """Refuse before starting when the estimate alone is over the budget."""
        if self.spent + estimated > self.limit:
            raise BudgetExceededError(self, self.spent + estimated)

    def spend(self, units: int = 1) -> None:
        """Count units as they are used; refuse the moment the budget runs out."""
        self.spent += units
        if self.spent > self.limit:
            raise BudgetExceededError(self, self.spent)
