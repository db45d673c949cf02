"""The task templates page (``/templates``): department managers share templates with their
department, IT admins publish company-wide ones. Forms post here; the checks and the audit are
in ``gateway.workspace.templates`` (the JSON API at ``/api/templates`` calls the same)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from gateway.auth import Manager, app_state, authenticate, refusals
from gateway.kernel.errors import BadRequest
from gateway.kernel.principal import Principal, Role
from gateway.workspace import templates
from policies.templates import to_text
from web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[Depends(authenticate)])

EXAMPLE = "{宛先} 様へのお詫びメールを書いてください。\n経緯: {経緯}\nトーン: {トーン|丁寧|簡潔}"


async def _page(
    request: Request, caller: Principal, *, error: str = "", form: dict[str, str] | None = None
) -> Response:
    state = app_state(request)
    await state.refresh_policies()
    admin = caller.role is Role.ADMIN
    async with state.sessions() as session:
        shared = await templates.managed(session=session, principal=caller)
    context = {
        "shared": [(t, to_text(t.template)) for t in shared],
        "use_cases": templates.target_use_cases(
            state.policies.current, None if admin else caller.department
        ),
        "departments": sorted(state.policies.current.by_department) if admin else [],
        "error": error,
        "form": form or {"prompt": ""},
        "example": EXAMPLE,
    }
    return render(request, "task_templates.html", context, status_code=400 if error else 200)


@router.get("/templates")
async def templates_page(request: Request, caller: Manager) -> Response:
    return await _page(request, caller)


@router.post("/templates")
async def templates_create(
    request: Request,
    caller: Manager,
    title: Annotated[str, Form(max_length=100)] = "",
    use_case: Annotated[str, Form(max_length=50)] = "",
    prompt: Annotated[str, Form(max_length=4000)] = "",
    scope: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """``scope``: empty (the caller's department), ``company``, or a department (admins)."""
    state = app_state(request)
    try:
        if not title.strip():
            raise BadRequest("題名を入力してください。", "A title is required.")
        await templates.create(
            sessions=state.sessions,
            audit=state.audit.append,
            refuse=refusals(request, caller),
            principal=caller,
            policies=state.policies.current,
            company=scope == "company",
            department=scope if scope not in ("", "company") else None,
            use_case=use_case,
            title=title,
            prompt=prompt,
        )
    except BadRequest as exc:
        form = {"title": title, "use_case": use_case, "prompt": prompt, "scope": scope}
        return await _page(request, caller, error=exc.ja, form=form)
    return RedirectResponse("/templates", status_code=303)


@router.post("/templates/{template_id}/delete")
async def templates_delete(request: Request, caller: Manager, template_id: int) -> Response:
    state = app_state(request)
    await templates.delete(
        sessions=state.sessions,
        audit=state.audit.append,
        refuse=refusals(request, caller),
        principal=caller,
        template_id=template_id,
    )
    return RedirectResponse("/templates", status_code=303)
