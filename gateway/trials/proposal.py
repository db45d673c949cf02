"""What a department proposes and IT reviews: purpose, tasks, people, period, budget, KPI
targets, and the agreements a trial needs before it starts (利用範囲・責任範囲・費用負担・
最終判断者, a person of the directory). IT's review may set the models, the budget and the
blocked redaction types.

Validation messages are Japanese and English; pages show them next to the form.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from policies.model import UseCaseId

DEFAULT_DAYS = 90
REVIEW_EVERY_DAYS = 30

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, pattern=r"^[^@\s]+@[^@\s]+$", max_length=320
    ),
]


class Targets(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hours_saved_per_week: float | None = Field(default=None, ge=0, le=10_000)
    active_share: float | None = Field(default=None, ge=0, le=1)
    satisfaction: float | None = Field(default=None, ge=1, le=5)
    cost_per_hour_saved: float | None = Field(default=None, ge=0, le=1_000_000)


class Proposal(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    purpose: Text
    tasks: list[UseCaseId] = Field(min_length=1, max_length=50)
    people: list[Email] = Field(min_length=1, max_length=5000)
    start: date
    days: int = Field(default=DEFAULT_DAYS, ge=7, le=366)
    budget_yen: int = Field(ge=0, le=100_000_000)  # per month, for the department
    targets: Targets = Field(default_factory=Targets)
    scope: Text  # 利用範囲
    responsibility: Text  # 責任範囲
    cost_bearer: Text  # 費用負担
    # 最終判断者: a person of the directory (gateway.identity.people), by e-mail; only they
    # (or IT recording on their behalf) record a decision (gateway.trials.decisions).
    decision_maker: Email
    # Set by IT's review (None: the department's current policy stays).
    models: list[str] | None = None
    block: list[str] | None = None

    @field_validator("people")
    @classmethod
    def _unique(cls, people: list[str]) -> list[str]:
        return list(dict.fromkeys(people))

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def review_dates(self) -> list[date]:
        """Every 30 days from the start, and the last day."""
        dates = [
            self.start + timedelta(days=n)
            for n in range(REVIEW_EVERY_DAYS, self.days, REVIEW_EVERY_DAYS)
        ]
        return [*dates, self.end]

    def next_review(self, today: date) -> date | None:
        return next((d for d in self.review_dates() if d >= today), None)
