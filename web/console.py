"""The IT console's policy pages (admins only): ``/admin/policies`` lists the departments,
``/admin/policies/{department}`` shows one in a form, previews a change's effect, saves it
and lists its versions with a revert button each.

Thin: the form becomes YAML in ``policies.form``; checking, versioning, auditing and
reverting are ``policies.edits``. With ``policies_source: files`` the pages show the files'
values read-only and name the folder to edit instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from gateway.auth import Caller, app_state, authenticate, require_role
from gateway.kernel.errors import BadRequest
from gateway.kernel.principal import Role
from policies import edits, form
from policies.documents import DEFAULTS, Document
from policies.edits import Preview
from policies.loader import PolicyInvalid
from policies.store import PolicyStore
from web.templating import render

router = APIRouter(
    prefix="/admin/policies",
    tags=["pages"],
    include_in_schema=False,
    dependencies=[Depends(authenticate), Depends(require_role(Role.ADMIN))],
)


@router.get("")
async def policies_page(request: Request) -> Response:
    store = app_state(request).policies
    documents = {d.department: d for d in await store.documents()}
    names = sorted({*store.current.by_department, *documents} - {DEFAULTS})
    rows = [(name, store.for_department(name)) for name in names]
    return render(
        request,
        "policies.html",
        {
            "rows": rows,
            "default": store.current.default,
            "editable": store.database is not None,
            "source": _source(store),
        },
    )


@router.get("/{department}")
async def department_page(request: Request, department: str) -> Response:
    return await _department(request, department, values=None, preview=None)


@router.post("/{department}")
async def department_submit(request: Request, department: str, caller: Caller) -> Response:
    store = app_state(request).policies
    submitted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    document = await _document(store, department, submitted)
    if submitted.get("action") != "save":
        seen = await edits.preview_department_policy(
            store=store,
            department=department,
            document=document,
            aliases=[m.alias for m in app_state(request).settings.models],
        )
        return await _department(request, department, values=submitted, preview=seen)
    try:
        change = await edits.save_department_policy(
            store=store,
            department=department,
            document=document,
            author=caller.email,
            reason=submitted.get("reason", ""),
        )
    except PolicyInvalid as exc:
        refused = Preview(exc.problems, [], "")
        return await _department(request, department, values=submitted, preview=refused, status=422)
    return RedirectResponse(f"/admin/policies/{quote(department)}?saved={change.number}", 303)


@router.post("/{department}/revert")
async def department_revert(request: Request, department: str, caller: Caller) -> Response:
    submitted = await request.form()
    number = str(submitted.get("number", ""))
    if not number.isdigit():
        raise BadRequest("戻す版の番号がありません。", "No version number to revert to.")
    change = await edits.revert_department_policy(
        store=app_state(request).policies,
        department=department,
        number=int(number),
        author=caller.email,
        reason=str(submitted.get("reason", "")),
    )
    return RedirectResponse(f"/admin/policies/{quote(department)}?saved={change.number}", 303)


async def _document(store: PolicyStore, department: str, submitted: dict[str, str]) -> str:
    """The YAML text to check: typed directly, or the stored document with the form applied."""
    if "document" in submitted:
        return submitted["document"]
    stored = await _stored(store, department)
    return form.apply(
        department=department,
        text=stored.text if stored else "",
        current=_policy(store, department),
        form=submitted,
    )


async def _department(
    request: Request,
    department: str,
    *,
    values: dict[str, str] | None,
    preview: Preview | None,
    status: int = 200,
) -> Response:
    store = app_state(request).policies
    policy = _policy(store, department)
    stored = await _stored(store, department)
    history = (
        await edits.department_history(store=store, department=department)
        if store.database is not None
        else []
    )
    context: dict[str, Any] = {
        "department": department,
        "values": {**form.shown(policy), **(values or {})},
        "types": form.type_rows(policy),
        "type_choices": form.TYPE_CHOICES,
        "scopes": form.SCOPES,
        "windows": form.WINDOWS,
        "units": form.UNITS,
        "field": form.budget_field,
        "policy": policy,
        "checked": {
            flag: (values or {}).get(f"retention.{flag}") == "on"
            if values and "action" in values
            else getattr(policy.retention, flag)
            for flag in ("store_conversations", "store_redacted_prompts")
        },
        "document": (values or {}).get("document") or (stored.text if stored else ""),
        "preview": preview,
        "history": history,
        "saved": request.query_params.get("saved"),
        "editable": store.database is not None,
        "source": _source(store),
    }
    return render(request, "policy.html", context, status_code=status)


async def _stored(store: PolicyStore, department: str) -> Document | None:
    return next((d for d in await store.documents() if d.department == department), None)


def _policy(store: PolicyStore, department: str) -> Any:
    if department == DEFAULTS:
        return store.current.default
    return store.for_department(department)


def _source(store: PolicyStore) -> str:
    if store.database is not None:
        return "database"
    return str(store.directory or "default_policy")
