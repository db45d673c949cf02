"""``/api/templates``: shared task templates. Everyone lists the ones they may use; department
managers create and delete their department's, IT admins company-wide ones (the checks and
the audit live in ``gateway.workspace.templates``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import Caller, app_state, authenticate, refusals
from gateway.workspace import templates
from policies.resolve import resolve, usable_use_cases

router = APIRouter(
    prefix="/api/templates", tags=["templates"], dependencies=[Depends(authenticate)]
)


class TemplateOut(BaseModel):
    key: str
    id: int
    title: str
    use_case: str
    department: str | None
    fields: list[dict[str, Any]]
    prompt: str
    created_by: str
    created_at: datetime


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=100)
    use_case: str = Field(min_length=1, max_length=50)
    scope: Literal["department", "company"] = "department"
    department: str | None = Field(default=None, max_length=100)  # admins: another department
    prompt: str = Field(min_length=1, max_length=4000, description="{宛先} / {トーン|丁寧|簡潔}")


def _out(shared: templates.Shared) -> TemplateOut:
    body = shared.template.model_dump()
    return TemplateOut(
        key=shared.key,
        id=shared.id,
        title=shared.title,
        use_case=shared.use_case,
        department=shared.department,
        fields=body["fields"],
        prompt=body["prompt"],
        created_by=shared.created_by,
        created_at=shared.created_at,
    )


@router.get("")
async def list_templates(request: Request, caller: Caller) -> list[TemplateOut]:
    state = app_state(request)
    await state.refresh_policies()
    allowed = usable_use_cases(
        policy=resolve(policies=state.policies, principal=caller).policy,
        principal=caller,
        today=state.kpi_source().today(),
    )
    async with state.sessions() as session:
        found = await templates.visible(session=session, principal=caller, use_cases=allowed)
    return [_out(shared) for shared in found]


@router.post("", status_code=201)
async def create_template(request: Request, caller: Caller, body: TemplateIn) -> TemplateOut:
    state = app_state(request)
    await state.refresh_policies()
    shared = await templates.create(
        sessions=state.sessions,
        audit=state.audit.append,
        refuse=refusals(request, caller),
        principal=caller,
        policies=state.policies.current,
        company=body.scope == "company",
        department=body.department,
        use_case=body.use_case,
        title=body.title,
        prompt=body.prompt,
    )
    return _out(shared)


@router.delete("/{template_id}")
async def delete_template(request: Request, caller: Caller, template_id: int) -> Response:
    state = app_state(request)
    await templates.delete(
        sessions=state.sessions,
        audit=state.audit.append,
        refuse=refusals(request, caller),
        principal=caller,
        template_id=template_id,
    )
    return Response(status_code=204)
