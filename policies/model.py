"""The policy model: what one department may use, how much, and under which redaction rules.

One YAML file per department (``policies/examples`` shows the shape) is validated into a
``Policy``. This module only describes and validates; reading files is ``policies.loader``,
counting usage is ``policies.quota``. Amounts of money are yen; token counts are integers.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from gateway.kernel.errors import ConfigError
from gateway.kernel.settings import DefaultPolicySettings, format_validation_error
from gateway.kernel.vocab import TaskRefusal
from policies.templates import STANDARD, PromptTemplate
from redaction.profile import RedactionProfile

UseCaseId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,49}$")]
DEFAULT_USE_CASE = "chat"


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limit(_Part):
    """One window's limits; ``None`` means no limit (usage is still counted)."""

    tokens: int | None = Field(default=None, ge=0)
    yen: float | None = Field(default=None, ge=0)


class Windows(_Part):
    """Limits per calendar day and per calendar month (in ``settings.timezone``)."""

    day: Limit = Field(default_factory=Limit)
    month: Limit = Field(default_factory=Limit)

    @model_validator(mode="after")
    def _day_within_month(self) -> Windows:
        for unit in ("tokens", "yen"):
            day, month = getattr(self.day, unit), getattr(self.month, unit)
            if day is not None and month is not None and day > month:
                raise ValueError(
                    f"day.{unit} ({day:,}) is larger than month.{unit} ({month:,}) / "
                    f"1 日の上限が 1 か月の上限より大きくなっています"
                )
        return self


class Quotas(_Part):
    """Budgets for the department as a whole and for each of its users."""

    department: Windows = Field(default_factory=Windows)
    per_user: Windows = Field(default_factory=Windows)
    # Output tokens reserved when a request does not say ``max_tokens`` itself.
    reserve_output_tokens: int = Field(default=1024, ge=1, le=1_000_000)
    # Share of a limit after which responses carry the X-Kakehashi-Quota-Warning header.
    warn_at: float = Field(default=0.8, gt=0, le=1)
    # Shares of the department's monthly budget (tokens and yen) at which IT is notified
    # (settings.notify: e-mail, webhook), once per threshold per month (audit.alerts).
    alert_at: list[Annotated[float, Field(gt=0, le=2)]] = Field(
        default_factory=lambda: [0.8, 1.0], max_length=5
    )

    def limited(self) -> bool:
        limits = (w.day for w in (self.department, self.per_user))
        limits_month = (w.month for w in (self.department, self.per_user))
        return any(x.tokens is not None or x.yen is not None for x in (*limits, *limits_month))


class UseCase(_Part):
    """A task staff may use the AI for, and the minutes one accepted output saves (KPIs)."""

    label: str = Field(min_length=1, max_length=100)
    minutes_saved: float = Field(ge=0, le=480)
    template: PromptTemplate | None = None
    # Last day (local, inclusive) it may be used: a trial stopped at review closes its tasks
    # at the trial's end date, not at once (issue 16).
    until: date | None = None

    def open_on(self, day: date | None) -> bool:
        return self.until is None or day is None or day <= self.until

    @property
    def label_ja(self) -> str:
        """Labels read "日本語 / English"; pages show the Japanese half."""
        return self.label.split(" / ", 1)[0].strip() or self.label


def _standard_use_cases() -> dict[str, UseCase]:
    return {
        "chat": UseCase(label="相談・質問 / chat", minutes_saved=3),
        "email_draft": UseCase(
            label="メール下書き / e-mail draft", minutes_saved=10, template=STANDARD["email_draft"]
        ),
        "summary": UseCase(label="要約 / summary", minutes_saved=15, template=STANDARD["summary"]),
        "minutes": UseCase(
            label="議事録 / minutes", minutes_saved=30, template=STANDARD["minutes"]
        ),
        "manual_draft": UseCase(
            label="社内文書の初稿 / document draft",
            minutes_saved=45,
            template=STANDARD["manual_draft"],
        ),
    }


class DocumentLimits(_Part):
    """Files attached to a chat: their size, and the length of the text read from them."""

    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    max_chars: int = Field(default=100_000, ge=1000, le=1_000_000)


class TrialTargets(_Part):
    hours_saved_per_week: float | None = Field(default=None, ge=0)
    active_user_share: float | None = Field(default=None, ge=0, le=1)
    satisfaction: float | None = Field(default=None, ge=1, le=5)  # mean rating 1-5
    cost_per_hour_saved: float | None = Field(default=None, ge=0)  # yen, at most


class Trial(_Part):
    """The trial this department runs: when, for how many people, and what counts as success.

    Its ``tasks`` are open only to its ``people`` (e-mail addresses, compared without case);
    an empty ``people`` list means the whole department (a trial written by hand with a head
    count only). Tasks not in ``tasks`` stay open to the whole department."""

    start: date
    end: date
    eligible_users: int = Field(ge=1)
    targets: TrialTargets = Field(default_factory=TrialTargets)
    # Who and what the trial covers (written by an approved proposal; optional by hand).
    people: list[str] = Field(default_factory=list, max_length=5000)
    tasks: list[UseCaseId] = Field(default_factory=list)

    @field_validator("people")
    @classmethod
    def _lower(cls, people: list[str]) -> list[str]:
        return [p.strip().lower() for p in people]

    def admits(self, email: str, task: str) -> bool:
        """Whether ``email`` may use ``task`` as far as this trial is concerned."""
        return task not in self.tasks or not self.people or email.lower() in self.people

    @model_validator(mode="after")
    def _ends_after_start(self) -> Trial:
        if self.end < self.start:
            raise ValueError(
                f"end ({self.end}) is before start ({self.start}) / 終了日が開始日より前です"
            )
        return self


class KpiRules(_Part):
    """How the KPIs count. ``unrated``: whether an answer nobody rated counts as adopted
    (its minutes saved added) or not; the review page shows both figures either way."""

    unrated: Literal["adopted", "not_adopted"] = "adopted"


class Retention(_Part):
    """How long audit events are kept, and whether the redacted prompt text may be stored."""

    days: int = Field(default=365, ge=1, le=3650)
    store_redacted_prompts: bool = False
    # Saved conversations (encrypted, readable only by their owner) are kept ``days`` long;
    # false: nothing is saved on the server and the page keeps the conversation itself.
    store_conversations: bool = True


class Policy(_Part):
    department: str = Field(default="*", min_length=1, max_length=100)
    description: str = ""
    allowed_models: list[str] = Field(default_factory=lambda: ["*"])
    quotas: Quotas = Field(default_factory=Quotas)
    redaction: RedactionProfile = Field(default_factory=RedactionProfile)
    use_cases: dict[UseCaseId, UseCase] = Field(default_factory=_standard_use_cases)
    trial: Trial | None = None
    documents: DocumentLimits = Field(default_factory=DocumentLimits)
    retention: Retention = Field(default_factory=Retention)
    kpi: KpiRules = Field(default_factory=KpiRules)

    _version: str | None = PrivateAttr(default=None)

    def allows_model(self, alias: str) -> bool:
        return any(fnmatch.fnmatchcase(alias, pattern) for pattern in self.allowed_models)

    def refusal(self, use_case: str, *, email: str, on: date | None) -> TaskRefusal | None:
        """Why ``email`` may not use ``use_case`` on day ``on`` (local), or None when it may:
        the one rule behind the pipeline's check and every list of tasks offered
        (``policies.resolve.usable_use_cases``)."""
        known = self.use_cases.get(use_case)
        if known is None:
            return TaskRefusal.UNKNOWN
        if not known.open_on(on):
            return TaskRefusal.CLOSED
        if self.trial is not None and not self.trial.admits(email, use_case):
            return TaskRefusal.NOT_ELIGIBLE
        return None

    def version(self) -> str:
        """Content hash recorded with every audit event decided under this policy.

        It covers the customer list the redaction profile names, so a changed list is a new
        version too. Computed once per (immutable) policy object.
        """
        if self._version is None:
            canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
            digest = hashlib.sha256(canonical.encode())
            digest.update(_file_bytes(self.redaction.customers_csv))
            self._version = digest.hexdigest()[:16]
        return self._version


def default_policy(section: DefaultPolicySettings, *, source: str = "config") -> Policy:
    """The policy of the config's ``default_policy`` section; a bad one raises ``ConfigError``
    naming the field (``source: default_policy.redaction.block: ...``)."""
    try:
        return Policy(allowed_models=section.allowed_models, redaction=section.redaction)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, exc, within="default_policy")) from exc


def _file_bytes(path: Path | None) -> bytes:
    if path is None:
        return b""
    try:
        return path.read_bytes()
    except OSError:
        return b"(unreadable)"
