"""One error tree for Kakehashi; every refusal the user can see is one of these, and every
package raises from it (domain packages subclass it where they need their own constructor).

    KakehashiError (500 internal_error)
    ├── ConfigError                                  a config that cannot be used (start-up, CLI)
    ├── PolicyInvalid (422 policy_invalid)           policies.loader: a policy folder refused
    ├── BadRequest (400 invalid_request)
    │   ├── UnknownModel (404 model_not_found)
    │   ├── Blocked (400 content_blocked)            redaction found something to block
    │   │   └── RedactionBlocked                     redaction.errors
    │   ├── TooLarge (413 prompt_too_large)          more text than the policy's limit
    │   │   └── PromptTooLarge                       redaction.errors
    │   ├── FieldRefused                             redaction.errors: a field that cannot be redacted
    │   └── CorrectionRefused                        redaction.corrections
    ├── Unauthenticated (401 invalid_api_key)
    │   └── LoginFailed (401 login_failed)           SSO callback refused (token, state, …)
    │       └── OidcRefused                          gateway.identity.oidc: the IdP's answer
    ├── Forbidden (403 forbidden)
    │   ├── ModelNotAllowed (403 model_not_allowed)
    │   ├── UseCaseNotAllowed (403 use_case_not_allowed)
    │   ├── NotProvisioned (403 user_not_mapped)     IdP user with no department mapping
    │   ├── AccountDisabled (403 account_disabled)   IT or the IdP disabled the person
    │   └── CsrfFailed (403 csrf_failed)
    ├── NotFound (404 not_found)
    ├── Conflict (409 conflict)                      a concurrent change, or a state that forbids it
    ├── QuotaExceeded (429 quota_exceeded)
    ├── Unavailable (503 service_unavailable)        fail closed: redaction, quota store
    │   ├── RedactionFailed                          redaction.errors: detection failed
    │   └── StoreUnavailable                         policies.quota: the quota store
    ├── UpstreamError (502 upstream_error)
    └── UpstreamTimeout (504 upstream_timeout)

Each carries a Japanese and an English message (shown together), a stable ``code`` and its
HTTP status; a subclass in a domain package keeps its parent's status and code, so it reaches
the user unconverted. ``/v1/*`` renders them as OpenAI error JSON; the web renders HTML.
Routes raise these, never ``HTTPException``. (The redaction errors also derive from
``redaction.errors.RedactionError``, so redaction can be caught as one.)
"""

from __future__ import annotations

from typing import Any, ClassVar


class KakehashiError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    openai_type: ClassVar[str] = "server_error"

    def __init__(self, ja: str, en: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(en)
        self.ja = ja
        self.en = en
        self.headers = headers or {}

    @property
    def message(self) -> str:
        return f"{self.ja} / {self.en}"

    def to_openai(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.openai_type,
                "param": None,
                "code": self.code,
                "message_ja": self.ja,
                "message_en": self.en,
            }
        }


class BadRequest(KakehashiError):
    status = 400
    code = "invalid_request"
    openai_type = "invalid_request_error"


class UnknownModel(BadRequest):
    status = 404
    code = "model_not_found"


class Blocked(BadRequest):
    code = "content_blocked"


class TooLarge(BadRequest):
    status = 413
    code = "prompt_too_large"


class Unauthenticated(KakehashiError):
    status = 401
    code = "invalid_api_key"
    openai_type = "authentication_error"


class Forbidden(KakehashiError):
    status = 403
    code = "forbidden"
    openai_type = "permission_error"


class ModelNotAllowed(Forbidden):
    code = "model_not_allowed"


class UseCaseNotAllowed(Forbidden):
    code = "use_case_not_allowed"


class LoginFailed(Unauthenticated):
    code = "login_failed"


class NotProvisioned(Forbidden):
    code = "user_not_mapped"


class AccountDisabled(Forbidden):
    code = "account_disabled"


def account_disabled() -> AccountDisabled:
    """The one refusal of a disabled person, whatever the credential (key, session, sign-in)."""
    return AccountDisabled(
        "このアカウントは情シスにより無効化されています。API キーとログインは使えません。"
        "心当たりがなければ情シスに連絡してください。",
        "This account has been disabled by IT: its API keys and sign-in are refused. "
        "Contact your IT department if this is unexpected.",
    )


class CsrfFailed(Forbidden):
    code = "csrf_failed"


class NotFound(KakehashiError):
    status = 404
    code = "not_found"
    openai_type = "invalid_request_error"


class Conflict(KakehashiError):
    status = 409
    code = "conflict"
    openai_type = "invalid_request_error"


class QuotaExceeded(KakehashiError):
    status = 429
    code = "quota_exceeded"
    openai_type = "rate_limit_error"


class Unavailable(KakehashiError):
    status = 503
    code = "service_unavailable"


def not_sent(what_ja: str, what_en: str) -> Unavailable:
    """The fail-closed refusal: a stage the request needs is down, so nothing was sent."""
    return Unavailable(f"{what_ja}ため送信しません。", f"{what_en}; nothing was sent.")


class UpstreamError(KakehashiError):
    status = 502
    code = "upstream_error"


class UpstreamTimeout(KakehashiError):
    status = 504
    code = "upstream_timeout"


class ConfigError(KakehashiError):
    """A configuration that cannot be used; the message names the file and the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message, message)


class PolicyError(KakehashiError):
    """A policy set that cannot be used (``policies.loader.PolicyInvalid``)."""

    status = 422
    code = "policy_invalid"
