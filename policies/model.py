"""The policy model: what a department may use.

In the foundation a single default policy comes from config; the policies issue adds the
per-department YAML files, quotas, redaction profiles, use cases and trials to this model.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json

from pydantic import BaseModel, ConfigDict, Field

from redaction.profile import RedactionProfile


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    department: str = "*"
    allowed_models: list[str] = Field(default_factory=lambda: ["*"])
    redaction: RedactionProfile = Field(default_factory=RedactionProfile)

    def allows_model(self, alias: str) -> bool:
        return any(fnmatch.fnmatchcase(alias, pattern) for pattern in self.allowed_models)

    def version(self) -> str:
        """Content hash recorded with every audit event decided under this policy."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]
