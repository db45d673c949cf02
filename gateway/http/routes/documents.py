"""``POST /api/documents/extract``: the text of an attached file, for the chat page.

The body is the file itself (``application/octet-stream``, its name in ``?name=``), read into
memory up to the department's limit and never written anywhere: no multipart parser, which
would spool large files to a temporary file on disk. The text comes back to the page, which
sends it through the preview and the pipeline like anything typed.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from gateway.auth import Caller, app_state, authenticate
from gateway.http.bodies import read_body, refuse_form
from gateway.workspace.documents import extract, too_large
from policies.resolve import resolve


async def _file_body(request: Request) -> None:
    refuse_form(request, "application/octet-stream")


# The department's own limit is applied here, not the app's (gateway.http.bodies). A form is
# refused before authenticate (router dependencies run in order): a session's CSRF check would
# parse it, consuming the body the route reads (and spooling a file part nobody closes).
router = APIRouter(
    prefix="/api/documents",
    tags=["documents"],
    dependencies=[Depends(_file_body), Depends(authenticate)],
)


class DocumentOut(BaseModel):
    name: str
    kind: str
    chars: int
    text: str


@router.post("/extract")
async def extract_document(
    request: Request, caller: Caller, name: Annotated[str, Query(min_length=1, max_length=255)]
) -> DocumentOut:
    state = app_state(request)
    await state.refresh_policies()
    limits = resolve(policies=state.policies, principal=caller).policy.documents
    data = await read_body(request, limits.max_bytes)
    if data is None:
        raise too_large(limits)
    doc = await anyio.to_thread.run_sync(lambda: extract(name=name, data=data, limits=limits))
    return DocumentOut(name=doc.name, kind=doc.kind, chars=doc.chars, text=doc.text)
