"""Settings: one YAML file below environment overrides.

Owns the typed configuration of a deployment. Secrets (API keys, client secrets, the session
key) come only from the environment: the YAML names the variable, never the value. A wrong
config fails at start-up with ``config.yaml: database.url: <problem>``; nothing reads settings
at import time (tests build ``Settings(...)`` directly).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from gateway.kernel.errors import ConfigError

Mode = Literal["production", "demo", "test"]

_DEV_SECRET = "kakehashi-development-secret-do-not-use"  # noqa: S105 - refused outside demo/test


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(_Section):
    url: str = "sqlite:///./kakehashi.db"
    echo: bool = False


class RedisSettings(_Section):
    """``max_connections`` bounds each process's pool; a request that finds every connection
    busy waits up to ``pool_timeout_s`` for one (back-pressure), then gets a 503 before
    anything is sent. Size it above the requests one process serves at once."""

    url: str | None = None
    max_connections: int = Field(default=100, ge=1)
    pool_timeout_s: float = Field(default=1.0, gt=0)


class ModelRoute(_Section):
    """A model alias that staff see, and the provider model it maps to.

    ``model`` is a litellm model string (``openai/gpt-4o-mini``, ``azure/my-deployment``,
    ``anthropic/claude-…``, ``bedrock/…``, ``gemini/…``, ``ollama_chat/llama3``) or
    ``demo/offline`` for the labelled offline demo model.
    """

    alias: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._:/-]+$")
    model: str = Field(min_length=1)
    api_base: str | None = None
    api_key_env: str | None = Field(
        default=None, description="name of the environment variable holding the provider key"
    )
    api_version: str | None = None
    timeout_s: float = Field(default=120.0, gt=0)
    description: str = ""
    # Force the litellm path even for OpenAI-compatible endpoints.
    via_litellm: bool = False
    # Price overrides in USD per million tokens (litellm's price map is used otherwise).
    input_usd_per_mtok: float | None = Field(default=None, ge=0)
    output_usd_per_mtok: float | None = Field(default=None, ge=0)
    # The model's context window in tokens (litellm's model map otherwise): a chat with a
    # document larger than this is summarised in parts first (gateway.digest).
    context_tokens: int | None = Field(default=None, ge=256)

    @property
    def provider(self) -> str:
        return self.model.split("/", 1)[0] if "/" in self.model else "openai"

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None


class DefaultPolicySettings(_Section):
    """The policy applied when no policy folder is configured (or no file matches).

    ``redaction`` stays a plain mapping here: the kernel knows no other package. The profile
    is validated by ``policies.model.default_policy`` when a command or the app starts, and a
    bad one is reported like any other field (``config.yaml: default_policy.redaction...``).
    """

    allowed_models: list[str] = Field(default_factory=lambda: ["*"])
    redaction: dict[str, Any] = Field(default_factory=dict)

    @field_validator("redaction", mode="before")
    @classmethod
    def _plain(cls, value: Any) -> Any:
        # Tests and the demo may hand a built profile; keep what was set, as a mapping.
        return value.model_dump(exclude_unset=True) if isinstance(value, BaseModel) else value


class QuotaSettings(_Section):
    """Where quota counters live and what happens when that store is down.

    ``store``: ``auto`` uses Redis when ``redis.url`` is set (required for several replicas),
    else the in-process store (one process only). ``on_store_error``: ``refuse`` answers 503
    (fail closed); ``allow`` lets requests through unchecked, each one logged and marked in the
    audit log and the X-Kakehashi-Quota-Warning header.
    """

    store: Literal["auto", "redis", "memory"] = "auto"
    on_store_error: Literal["refuse", "allow"] = "refuse"
    # A reservation not settled within this time (a crashed replica) is released.
    hold_ttl_s: float = Field(default=900.0, gt=0)
    store_timeout_s: float = Field(default=2.0, gt=0)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    public_url: str | None = None
    # The largest request body read into memory (the chat API, forms, JSON), as deploy/nginx's
    # client_max_body_size: one client cannot make a worker buffer gigabytes. Attached files
    # have their own per-department limit (policies: documents.max_bytes).
    max_body_mb: int = Field(default=8, ge=1, le=1024)


class OidcMappingRule(_Section):
    """One IdP claim value and what it grants: a department, a role, or both.

    ``group`` is matched against the claim named by ``claim`` (default: ``oidc.groups_claim``),
    which may be a string or a list of strings. The first matching rule that names a department
    decides the department; the highest role among matching rules decides the role.
    """

    group: str = Field(min_length=1)
    claim: str | None = None
    department: str | None = Field(default=None, min_length=1)
    role: Literal["staff", "manager", "admin"] | None = None

    @model_validator(mode="after")
    def _grants_something(self) -> OidcMappingRule:
        if self.department is None and self.role is None:
            raise ValueError(f"rule for {self.group!r} must name a department or a role")
        return self


class OidcSettings(_Section):
    """Single sign-on through an OpenID Connect IdP (Entra ID, Google, Keycloak, Okta, …).

    The client secret comes from the environment only: ``KAKEHASHI_OIDC__CLIENT_SECRET``.
    ``dev_idp`` mounts the built-in development IdP at ``/dev-idp`` (demo and test modes only).
    """

    issuer: str | None = Field(default=None, pattern=r"^https?://")
    client_id: str = "kakehashi"
    client_secret: SecretStr | None = None
    scopes: list[str] = Field(default_factory=lambda: ["openid", "email", "profile"])
    groups_claim: str = "groups"
    email_claim: str = "email"
    mapping: list[OidcMappingRule] = Field(default_factory=list)
    default_role: Literal["staff", "manager", "admin"] = "staff"
    allowed_email_domains: list[str] = Field(default_factory=list)
    session_idle_seconds: int = Field(default=3600, ge=1)
    session_absolute_seconds: int = Field(default=12 * 3600, ge=1)
    discovery_cache_seconds: int = Field(default=3600, ge=0)
    http_timeout_s: float = Field(default=10.0, gt=0)
    dev_idp: bool = False

    @model_validator(mode="after")
    def _check(self) -> OidcSettings:
        if "openid" not in self.scopes:
            raise ValueError("scopes must include 'openid'")
        self.allowed_email_domains = [d.lower().lstrip("@") for d in self.allowed_email_domains]
        return self

    @property
    def enabled(self) -> bool:
        return self.dev_idp or self.issuer is not None


class NotifySettings(_Section):
    """Where notifications to IT go (budget alerts, trial decisions): an e-mail through SMTP
    and/or an incoming webhook (Teams, Slack). Secrets from the environment only:
    ``KAKEHASHI_NOTIFY__SMTP_PASSWORD`` and ``KAKEHASHI_NOTIFY__WEBHOOK_URL`` (the URL is the
    credential). ``alert_check_s``: how often budgets are compared with their alert thresholds
    (0: never; each replica checks, and each alert is sent once)."""

    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "kakehashi@localhost"
    mail_to: list[str] = Field(default_factory=list)
    webhook_url: SecretStr | None = None
    timeout_s: float = Field(default=10.0, gt=0)
    alert_check_s: float = Field(default=60.0, ge=0)


class Settings(BaseSettings):
    """The whole configuration. Environment variables ``KAKEHASHI_<SECTION>__<FIELD>`` win."""

    model_config = SettingsConfigDict(
        env_prefix="KAKEHASHI_", env_nested_delimiter="__", extra="forbid"
    )

    mode: Mode = "production"
    secret_key: SecretStr = SecretStr(_DEV_SECRET)
    timezone: str = "Asia/Tokyo"
    jpy_per_usd: float = Field(default=150.0, gt=0)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    models: list[ModelRoute] = Field(default_factory=list)
    default_policy: DefaultPolicySettings = Field(default_factory=DefaultPolicySettings)
    policies_dir: Path | None = None
    # Where department policies live, one source of truth either way (docs/console.md):
    # "files": policies_dir (reviewed in git; the IT console shows them read-only);
    # "database": edited in the IT console, every change versioned; policies_dir, when set,
    # seeds an empty database once (``kakehashi policy import`` / ``export`` move sets).
    policies_source: Literal["files", "database"] = "files"
    # How often the policy folder is checked for changes (0: before every request).
    policies_reload_s: float = Field(default=1.0, ge=0)
    quota: QuotaSettings = Field(default_factory=QuotaSettings)
    # Connections open at once from each process to one provider endpoint (host, port, TLS;
    # OpenAI-compatible routes): a burst or a slow provider cannot open sockets without end.
    # A request over it waits its turn, within its route's timeout_s (then 504).
    provider_connections: int = Field(default=100, ge=1)
    redaction_timeout_s: float = Field(default=5.0, gt=0)
    # Memory for the findings of texts analysed before, per worker (0: none). With Redis the
    # workers also share them there (sealed), for ``redaction_vault_ttl_s``.
    redaction_cache_mb: int = Field(default=64, ge=0)
    # How long a valid API key is trusted without a database lookup (0: every request looks
    # it up). A revoke takes effect at once on the replica that did it, within this elsewhere.
    api_key_cache_s: float = Field(default=5.0, ge=0, le=60)
    # Answer only after the request's audit event is committed (instead of queued; see
    # audit.writer for what each promises). Either way nothing is sent while audit writes fail.
    audit_wait_for_commit: bool = False
    # Local disk for what must survive a crash or a failing shared store: each request's audit
    # event before it is sent, and quota settles while Redis is down. One fsync'd file per
    # process, replayed by any live process after it dies. Default: beside the SQLite
    # database, else ./kakehashi-spool. Give each host its own directory.
    spool_dir: Path | None = None
    # False: spool writes survive the process's death (kill -9, OOM) but not the machine's
    # (power loss); saves an fsync per request (docs/benchmarks.md "Audit spool").
    spool_fsync: bool = True
    # How often a live process looks for the spools of dead ones (a replica killed beside it
    # on a shared spool volume) and replays them; each process also does at start-up.
    spool_replay_s: float = Field(default=60.0, gt=0)
    # How long a conversation's placeholder mapping is kept (server-side only).
    redaction_vault_ttl_s: float = Field(default=8 * 3600, gt=0)
    # How often each process deletes saved conversations past their department's retention
    # (0: never here; run `kakehashi conversations purge` from cron instead).
    conversation_purge_s: float = Field(default=3600.0, ge=0)
    oidc: OidcSettings = Field(default_factory=OidcSettings)
    # Bearer token for the Prometheus scraper on /metrics (admins may read it signed in too).
    metrics_token: SecretStr | None = None
    notify: NotifySettings = Field(default_factory=NotifySettings)
    # Bearer token of the IdP's SCIM provisioning client (Entra ID, Okta) on /scim/v2; tokens
    # made by `kakehashi scim token` (stored hashed) work too.
    scim_token: SecretStr | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],  # noqa: ARG003 - signature fixed by pydantic-settings
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment above the YAML file (passed as init kwargs): secrets and per-host
        # overrides win over the reviewed file.
        return env_settings, init_settings

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.mode == "production" and self.secret_key.get_secret_value() == _DEV_SECRET:
            raise ValueError(
                "secret_key: set KAKEHASHI_SECRET_KEY in the environment "
                "(the built-in development key is refused in production mode)"
            )
        if self.oidc.dev_idp and self.mode == "production":
            raise ValueError(
                "oidc.dev_idp: the built-in development IdP cannot run in production mode "
                "(use mode: demo or test, or configure oidc.issuer for your company IdP)"
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from exc
        if self.quota.store == "redis" and not self.redis.url:
            raise ValueError("quota.store: redis needs redis.url")
        aliases = [m.alias for m in self.models]
        duplicates = sorted({a for a in aliases if aliases.count(a) > 1})
        if duplicates:
            raise ValueError(f"models: duplicate alias {', '.join(duplicates)}")
        return self

    @model_validator(mode="after")
    def _strong_secrets(self) -> Settings:
        # secret_key also keys the audit checkpoints' HMAC, stored next to the data: a short
        # one could be guessed offline from a database copy and a checkpoint forged.
        if self.mode != "production":
            return self
        for name, secret, least in (
            ("secret_key", self.secret_key, 32),
            ("metrics_token", self.metrics_token, 24),
            ("scim_token", self.scim_token, 24),
        ):
            if secret is not None and len(secret.get_secret_value()) < least:
                raise ValueError(
                    f"{name}: use at least {least} random characters in production mode "
                    "(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
                )
        return self

    def spool_path(self) -> Path:
        if self.spool_dir is not None:
            return self.spool_dir
        url = self.database.url
        if url.startswith("sqlite:///") and not url.endswith(":memory:"):
            return Path(url.removeprefix("sqlite:///")).parent / "kakehashi-spool"
        return Path("kakehashi-spool")

    def route(self, alias: str) -> ModelRoute | None:
        return next((m for m in self.models if m.alias == alias), None)


def _refuse_secrets(name: str, data: dict[str, Any]) -> None:
    """Secrets never go in the reviewed file: say which variable to set instead."""
    oidc = data.get("oidc")
    if isinstance(oidc, dict) and "client_secret" in oidc:
        raise ConfigError(
            f"{name}: oidc.client_secret: secrets never go in the file; "
            "set KAKEHASHI_OIDC__CLIENT_SECRET in the environment"
        )
    notify = data.get("notify")
    for secret in ("smtp_password", "webhook_url"):
        if isinstance(notify, dict) and secret in notify:
            raise ConfigError(
                f"{name}: notify.{secret}: secrets never go in the file; "
                f"set KAKEHASHI_NOTIFY__{secret.upper()} in the environment"
            )
    for secret in ("secret_key", "metrics_token", "scim_token"):
        if secret in data:
            raise ConfigError(
                f"{name}: {secret}: secrets never go in the file; "
                f"set KAKEHASHI_{secret.upper()} in the environment"
            )


def load_settings(path: Path | None, **overrides: Any) -> Settings:
    """Read ``path`` (YAML), apply environment overrides, validate; raise ConfigError."""
    data: dict[str, Any] = {}
    name = str(path) if path else "environment"
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{name}: cannot read: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"{name}: not valid YAML: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{name}: the top level must be a mapping of sections")
        data = loaded or {}
        _refuse_secrets(name, data)
    data.update(overrides)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(name, exc)) from exc


def format_validation_error(name: str, exc: ValidationError, *, within: str = "") -> str:
    """``name: field.path: problem`` per error; ``within`` prefixes the path (a section
    validated on its own)."""
    lines = []
    for err in exc.errors():
        where = ".".join([*([within] if within else []), *(str(p) for p in err["loc"])])
        where = where or "(top level)"
        lines.append(f"{name}: {where}: {err['msg']}")
    return "\n".join(lines)
