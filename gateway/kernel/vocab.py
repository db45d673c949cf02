"""The closed vocabulary of the audit log, defined once: event types, outcomes and the codes
of refusals and failures. Pages, exports and tests import these; nobody writes the strings
again. ``StrEnum`` members are ``str``: they are stored, hashed and compared as their value.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    CHAT_COMPLETION = "chat.completion"
    AUTH_LOGIN = "auth.login"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOGOUT = "auth.logout"
    AUTH_FAILED = "auth.failed"
    AUTH_FORBIDDEN = "auth.forbidden"
    KEY_CREATED = "key.created"
    KEY_REVOKED = "key.revoked"
    USER_DISABLED = "user.disabled"
    USER_ENABLED = "user.enabled"
    USER_CHANGED = "user.changed"  # department or role changed (sign-in, SCIM)
    USER_PROVISIONED = "user.provisioned"  # created by the IdP's provisioning client (SCIM)
    SCIM_TOKEN_CREATED = "scim.token_created"  # noqa: S105 - an event name
    POLICY_LOADED = "policy.loaded"
    POLICY_REJECTED = "policy.rejected"
    POLICY_CHANGED = "policy.changed"  # a version saved or reverted in the IT console
    AUDIT_PURGED = "audit.purged"
    AUDIT_VERIFIED = "audit.verified"
    CONVERSATIONS_PURGED = "conversations.purged"  # saved conversations past retention
    TEMPLATE_CREATED = "template.created"
    TEMPLATE_DELETED = "template.deleted"
    BUDGET_ALERT = "budget.alert"  # a department crossed an alert threshold; IT was notified
    TRIAL_PROPOSED = "trial.proposed"
    TRIAL_SUBMITTED = "trial.submitted"
    TRIAL_SENT_BACK = "trial.sent_back"
    TRIAL_APPROVED = "trial.approved"
    TRIAL_DECIDED = "trial.decided"
    ANSWER_COPIED = "answer.copied"  # a copied answer counts as accepted (audit.kpi)
    REDACTION_OVERRIDE = "redaction.override"  # a person undid a detection before sending
    REDACTION_PROPOSAL_DECIDED = "redaction.proposal_decided"
    DEMO_SEEDED = "demo.seeded"  # the demo's synthetic history was written (once)


class Outcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"
    ERROR = "error"
    CANCELLED = "cancelled"  # the client left mid-call
    TAMPERED = "tampered"  # an audit chain check found a broken event


class ErrorCode(StrEnum):
    """Codes a chat can end with (the error tree's ``code`` plus the pipeline's own)."""

    QUOTA_EXCEEDED = "quota_exceeded"
    CONTENT_BLOCKED = "content_blocked"
    MODEL_NOT_ALLOWED = "model_not_allowed"
    USE_CASE_NOT_ALLOWED = "use_case_not_allowed"
    SERVICE_UNAVAILABLE = "service_unavailable"
    UPSTREAM_ERROR = "upstream_error"
    UPSTREAM_TIMEOUT = "upstream_timeout"
    CLIENT_DISCONNECTED = "client_disconnected"
    INTERNAL_ERROR = "internal_error"
    INTERRUPTED = "interrupted"  # recovered from its intent: the process died mid-request


class TrialStage(StrEnum):
    """Where a trial is: a proposal under review, or approved (running) and later stopped."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    SENT_BACK = "sent_back"
    RESUBMITTED = "resubmitted"
    APPROVED = "approved"
    STOPPED = "stopped"


class TrialAction(StrEnum):
    """One step of a trial's history."""

    DRAFTED = "drafted"
    SUBMITTED = "submitted"
    SENT_BACK = "sent_back"
    RESUBMITTED = "resubmitted"
    APPROVED = "approved"
    DECIDED = "decided"


class TrialDecision(StrEnum):
    """What the final decision-maker records at a monthly review."""

    CONTINUE = "continue"
    EXPAND = "expand"
    CHANGE = "change"
    STOP = "stop"


class TaskRefusal(StrEnum):
    """Why a person may not use a task (use case) now (``policies.model.Policy.refusal``)."""

    UNKNOWN = "unknown"  # not in the department's policy
    CLOSED = "closed"  # past its ``until`` date (a stopped trial's tasks)
    NOT_ELIGIBLE = "not_eligible"  # a trial's task, and the person is not among its people
