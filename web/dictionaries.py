"""The IT console's dictionary pages (admins only): a department's customer list
(``/admin/customers/{department}``: see it, upload a CSV, check the parsed rows and the
problems by line, accept it as a new policy version) and the word proposals staff made from
the chat preview (``/admin/proposals``: approve or reject).

Thin: parsing and storing are ``policies.customers``, decisions ``gateway.corrections.service``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from gateway.auth import Caller, app_state, authenticate, require_role
from gateway.corrections import service as proposals
from gateway.corrections.service import Status
from gateway.kernel.errors import BadRequest
from gateway.kernel.principal import Role
from policies import customers
from policies.customers import CustomerList
from policies.store import PolicyStore
from web.templating import render

router = APIRouter(
    prefix="/admin",
    tags=["pages"],
    include_in_schema=False,
    dependencies=[Depends(authenticate), Depends(require_role(Role.ADMIN))],
)
_SHOWN = 200  # rows of a list shown on the page


@router.get("/customers/{department}")
async def customers_page(request: Request, department: str) -> Response:
    return await _customers(request, department, preview=None)


@router.post("/customers/{department}/preview")
async def customers_preview(request: Request, department: str) -> Response:
    async with request.form() as submitted:  # closes the spooled upload
        upload = submitted.get("file")
        if not isinstance(upload, UploadFile):
            raise BadRequest("CSV ファイルを選んでください。", "Choose a CSV file.")
        data = await upload.read(customers.MAX_BYTES + 1)
    found = await anyio.to_thread.run_sync(customers.parse, data)
    return await _customers(request, department, preview=found)


@router.post("/customers/{department}")
async def customers_accept(request: Request, department: str, caller: Caller) -> Response:
    submitted = await request.form()
    change = await customers.save_customer_list(
        store=app_state(request).policies,
        department=department,
        data=str(submitted.get("csv", "")).encode(),
        author=caller.email,
        reason=str(submitted.get("reason", "")),
    )
    return RedirectResponse(f"/admin/customers/{quote(department)}?saved={change.number}", 303)


@router.get("/proposals")
async def proposals_page(request: Request) -> Response:
    async with app_state(request).sessions() as session:
        pending = await proposals.listing(session=session, status=Status.PENDING)
        recent = [p for p in await proposals.listing(session=session) if p.status != Status.PENDING]
    return render(request, "proposals.html", {"pending": pending, "recent": recent[:50]})


@router.post("/proposals/{proposal_id}")
async def proposals_decide(request: Request, proposal_id: int, caller: Caller) -> Response:
    decision = (await request.form()).get("decision")
    if decision not in ("approve", "reject"):
        raise BadRequest("承認か却下を選んでください。", "Choose approve or reject.")
    state = app_state(request)
    await proposals.decide_and_audit(
        sessions=state.sessions,
        audit=state.audit.append,
        proposal_id=proposal_id,
        approve=decision == "approve",
        by=caller,
    )
    state.approved.invalidate()  # this replica's next request sees the decision
    return RedirectResponse("/admin/proposals", 303)


async def _customers(
    request: Request, department: str, *, preview: CustomerList | None
) -> Response:
    store = app_state(request).policies
    current = await _current(store, department)
    context: dict[str, Any] = {
        "department": department,
        "current": current,
        "shown": _SHOWN,
        "preview": preview,
        "saved": request.query_params.get("saved"),
        "editable": store.database is not None,
        "source": str(store.directory or "database"),
    }
    return render(request, "customers.html", context, status_code=200)


async def _current(store: PolicyStore, department: str) -> CustomerList | None:
    """The list in force for ``department`` (from the database or the file it names)."""
    path = store.for_department(department).redaction.customers_csv
    if path is None or not path.is_file():
        return None
    data = await anyio.Path(path).read_bytes()
    return await anyio.to_thread.run_sync(customers.parse, data)
