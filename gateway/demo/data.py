"""The demo's data: its users, their IdP groups and the settings ``kakehashi demo`` runs on
(the command itself lives in ``gateway.cli``; this module imports no app).

SQLite in a local folder, the in-process quota store, and the offline demo model unless a real
provider key (``OPENAI_API_KEY``) is in the environment. Demo mode is the only mode (with test)
in which development-only parts may run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gateway.kernel.principal import Role
from gateway.kernel.settings import ModelRoute, Settings


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    department: str
    role: Role


DEMO_USERS = (
    DemoUser("sato@demo.kakehashi.example", "佐藤 花子", "営業部", Role.STAFF),
    DemoUser("suzuki@demo.kakehashi.example", "鈴木 一郎", "営業部", Role.MANAGER),
    DemoUser("takahashi@demo.kakehashi.example", "高橋 健", "総務部", Role.STAFF),
    DemoUser("yamada@demo.kakehashi.example", "山田 直子", "総務部", Role.MANAGER),
    DemoUser("tanaka@demo.kakehashi.example", "田中 美咲", "情報システム部", Role.ADMIN),
)


# IdP groups of the demo users (served by the development IdP, gateway.demo.devidp) and the
# mapping rules that turn them back into departments and roles: the same shape a company
# writes in config.yaml for Entra ID, Google or Keycloak groups.
DEMO_DEPARTMENT_GROUPS = {"営業部": "sales", "総務部": "general-affairs", "情報システム部": "it"}
DEMO_ROLE_GROUPS = {Role.MANAGER: "managers", Role.ADMIN: "it-admins"}
DEMO_OIDC_MAPPING: list[dict[str, str]] = [
    *({"group": g, "department": d} for d, g in DEMO_DEPARTMENT_GROUPS.items()),
    {"group": "managers", "role": "manager"},
    {"group": "it-admins", "department": "情報システム部", "role": "admin"},
]


def demo_groups(user: DemoUser) -> list[str]:
    groups = [DEMO_DEPARTMENT_GROUPS[user.department]]
    if user.role in DEMO_ROLE_GROUPS:
        groups.append(DEMO_ROLE_GROUPS[user.role])
    return groups


def demo_models() -> list[ModelRoute]:
    if os.environ.get("OPENAI_API_KEY"):
        return [
            ModelRoute(
                alias="gpt-4o-mini",
                model="openai/gpt-4o-mini",
                api_key_env="OPENAI_API_KEY",
                description="OpenAI gpt-4o-mini",
            ),
        ]
    return [
        ModelRoute(
            alias="demo",
            model="demo/offline",
            description="オフラインのデモモデル (実際の AI ではありません) / offline demo model",
        ),
    ]


def demo_settings(*, port: int, data_dir: Path, policies_dir: Path | None = None) -> Settings:
    return Settings(
        mode="demo",
        # As deployed (deploy/kakehashi.yaml): the policies live in the database, seeded from
        # ``policies_dir`` on the first start, so approvals and decisions can change them.
        policies_dir=policies_dir,
        policies_source="database",
        policies_reload_s=5,
        database={"url": f"sqlite:///{(data_dir / 'kakehashi.db').resolve()}"},
        server={"host": "127.0.0.1", "port": port, "public_url": f"http://127.0.0.1:{port}"},
        models=demo_models(),
        # Sign-in through the built-in development IdP at /dev-idp (refused in production).
        oidc={
            "dev_idp": True,
            "scopes": ["openid", "email", "profile", "groups"],
            "mapping": DEMO_OIDC_MAPPING,
        },
    )
