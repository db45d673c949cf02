"""The SCIM 2.0 endpoint (``/scim/v2``, RFC 7644) for the IdP's provisioning client.

Authenticated by the provisioning bearer token (``gateway.identity.scim.tokens``), not by a
person; every failure is audited like a failed API key. Answers and errors are SCIM JSON
(``application/scim+json``, the ``Error`` message of RFC 7644 §3.12), so this router converts
the error tree itself. The work is in ``gateway.identity.scim``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import ValidationError

from audit.chain import EventIn
from gateway.auth import app_state
from gateway.http.routes.auth import public_base
from gateway.identity.scim import tokens
from gateway.identity.scim.context import Provisioning
from gateway.kernel.errors import KakehashiError, NotFound, Unauthenticated
from gateway.kernel.vocab import EventType, Outcome

if TYPE_CHECKING:
    from gateway.identity.scim.discovery import Document

# scim2_models (and the modules of gateway.identity.scim built on it) are imported by the
# handlers, on a worker's first SCIM request: they were a fifth of the server's start-up (and
# ~28 MB) for a route only the IdP's provisioning calls (issue 18).

log = logging.getLogger(__name__)
MEDIA = "application/scim+json"
_SCIM_TYPES = {409: "uniqueness", 400: "invalidValue"}


def _error(status: int, detail: str, scim_type: str | None = None) -> Response:
    from scim2_models import Context, Error

    body = Error(status=status, detail=detail, scim_type=scim_type)
    return _json(body.model_dump(scim_ctx=Context.DEFAULT, exclude_none=True), status)


def _json(document: object, status: int = 200) -> Response:
    return Response(json.dumps(document, ensure_ascii=False), status, media_type=MEDIA)


class _ScimRoute(APIRoute):
    """Errors of this router as SCIM ``Error`` messages (not OpenAI JSON or pages)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def scim_handler(request: Request) -> Response:
            from scim2_models import SCIMException

            try:
                return await handler(request)
            except SCIMException as exc:
                return _error(exc.status, exc.detail, exc.scim_type or None)
            except ValidationError as exc:
                return _error(400, str(exc.errors()[:3]), "invalidValue")
            except KakehashiError as exc:
                scim_type = _SCIM_TYPES.get(exc.status)
                return _error(exc.status, exc.message, scim_type)
            except json.JSONDecodeError:
                return _error(
                    400, "本文が JSON ではありません / the body is not JSON", "invalidSyntax"
                )

        return scim_handler


async def provisioning(request: Request) -> Provisioning:
    """The provisioning client behind the bearer token; refused (audited) without one."""
    state = app_state(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    client = None
    if scheme.lower() == "bearer" and token.strip():
        async with state.sessions() as session:
            client = await tokens.client_of(
                session=session, token=token.strip(), configured=state.settings.scim_token
            )
    if client is None:
        peer = request.client.host if request.client else "?"
        if state.auth_failures.admit(peer, "scim token") is not None:
            await state.audit.append(
                EventIn(
                    event_type=EventType.AUTH_FAILED,
                    outcome=Outcome.REFUSED,
                    status_code=401,
                    error_code="invalid_scim_token",
                    detail={"reason": "scim token", "path": request.url.path},
                )
            )
        raise Unauthenticated(
            "SCIM のトークンが無効です (kakehashi scim token で発行)。",
            "Invalid SCIM bearer token (make one with `kakehashi scim token`).",
        )
    return Provisioning(
        sessions=state.sessions,
        audit=state.audit.append,
        cache=state.keys,
        mapping=state.settings.oidc,
        base=public_base(state, request) + "/scim/v2",
        client=client,
    )


Scim = Annotated[Provisioning, Depends(provisioning)]
router = APIRouter(
    prefix="/scim/v2",
    tags=["scim"],
    route_class=_ScimRoute,
    dependencies=[Depends(provisioning)],
    include_in_schema=False,
)


async def _body(request: Request) -> Any:
    return json.loads(await request.body() or b"{}")


def _params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


@router.get("/ServiceProviderConfig")
async def service_provider_config(ctx: Scim) -> Response:
    from gateway.identity.scim import discovery

    return _json(discovery.config(ctx.base))


@router.get("/ResourceTypes")
async def resource_types(ctx: Scim) -> Response:
    from gateway.identity.scim import discovery

    found = discovery.resource_types(ctx.base)
    return _json(_list([discovery.dump(t) for t in found]))


@router.get("/ResourceTypes/{ident}")
async def resource_type(ctx: Scim, ident: str) -> Response:
    from gateway.identity.scim import discovery

    return _json(_pick(discovery.resource_types(ctx.base), ident))


@router.get("/Schemas")
async def schemas(ctx: Scim) -> Response:
    from gateway.identity.scim import discovery

    return _json(_list([discovery.dump(s) for s in discovery.schemas(ctx.base)]))


@router.get("/Schemas/{ident}")
async def schema(ctx: Scim, ident: str) -> Response:
    from gateway.identity.scim import discovery

    return _json(_pick(discovery.schemas(ctx.base), ident))


def _list(documents: list[Document]) -> Document:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(documents),
        "startIndex": 1,
        "itemsPerPage": len(documents),
        "Resources": documents,
    }


def _pick(found: list[Any], ident: str) -> Document:
    from gateway.identity.scim import discovery

    for item in found:
        if item.id == ident:
            return discovery.dump(item)
    raise NotFound(f"{ident} はありません。", f"No {ident}.")


@router.get("/Users")
async def list_users(request: Request, ctx: Scim) -> Response:
    from gateway.identity.scim import query, users

    return _json(query.listing(await users.everyone(ctx), query.parameters(_params(request))))


@router.post("/Users/.search")
async def search_users(request: Request, ctx: Scim) -> Response:
    from gateway.identity.scim import query, users

    search = query.search_body(await _body(request))
    return _json(query.listing(await users.everyone(ctx), search))


@router.post("/Users")
async def create_user(request: Request, ctx: Scim) -> Response:
    from scim2_models import Context, User

    from gateway.identity.scim import query, users

    body = await _body(request)
    given: User[Any] = User.model_validate(body, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    created = await users.create(ctx, given)
    return _json(query.one(created, _params(request), Context.RESOURCE_CREATION_RESPONSE), 201)


@router.get("/Users/{ident}")
async def get_user(request: Request, ctx: Scim, ident: str) -> Response:
    from scim2_models import Context

    from gateway.identity.scim import query, users

    found = await users.get(ctx, ident)
    return _json(query.one(found, _params(request), Context.RESOURCE_QUERY_RESPONSE))


@router.put("/Users/{ident}")
async def replace_user(request: Request, ctx: Scim, ident: str) -> Response:
    from scim2_models import Context, User

    from gateway.identity.scim import query, users

    body = await _body(request)
    given: User[Any] = User.model_validate(body, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    done = await users.replace(ctx, ident, given)
    return _json(query.one(done, _params(request), Context.RESOURCE_REPLACEMENT_RESPONSE))


@router.patch("/Users/{ident}")
async def patch_user(request: Request, ctx: Scim, ident: str) -> Response:
    from scim2_models import Context, PatchOp, User

    from gateway.identity.scim import query, users

    body = await _body(request)
    operations = PatchOp[User[Any]].model_validate(body, scim_ctx=Context.RESOURCE_PATCH_REQUEST)
    done = await users.patch(ctx, ident, operations)
    return _json(query.one(done, _params(request), Context.RESOURCE_PATCH_RESPONSE))


@router.delete("/Users/{ident}", status_code=204)
async def delete_user(ctx: Scim, ident: str) -> Response:
    from gateway.identity.scim import users

    await users.remove(ctx, ident)
    return Response(status_code=204)


@router.get("/Groups")
async def list_groups(request: Request, ctx: Scim) -> Response:
    from gateway.identity.scim import groups, query

    return _json(query.listing(await groups.everyone(ctx), query.parameters(_params(request))))


@router.post("/Groups/.search")
async def search_groups(request: Request, ctx: Scim) -> Response:
    from gateway.identity.scim import groups, query

    search = query.search_body(await _body(request))
    return _json(query.listing(await groups.everyone(ctx), search))


@router.post("/Groups")
async def create_group(request: Request, ctx: Scim) -> Response:
    from scim2_models import Context, Group

    from gateway.identity.scim import groups, query

    body = await _body(request)
    given = Group.model_validate(body, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    created = await groups.create(ctx, given)
    return _json(query.one(created, _params(request), Context.RESOURCE_CREATION_RESPONSE), 201)


@router.get("/Groups/{ident}")
async def get_group(request: Request, ctx: Scim, ident: str) -> Response:
    from scim2_models import Context

    from gateway.identity.scim import groups, query

    found = await groups.get(ctx, ident)
    return _json(query.one(found, _params(request), Context.RESOURCE_QUERY_RESPONSE))


@router.put("/Groups/{ident}")
async def replace_group(request: Request, ctx: Scim, ident: str) -> Response:
    from scim2_models import Context, Group

    from gateway.identity.scim import groups, query

    body = await _body(request)
    given = Group.model_validate(body, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    done = await groups.replace(ctx, ident, given)
    return _json(query.one(done, _params(request), Context.RESOURCE_REPLACEMENT_RESPONSE))


@router.patch("/Groups/{ident}")
async def patch_group(request: Request, ctx: Scim, ident: str) -> Response:
    from scim2_models import Context, Group, PatchOp

    from gateway.identity.scim import groups, query

    body = await _body(request)
    operations = PatchOp[Group].model_validate(body, scim_ctx=Context.RESOURCE_PATCH_REQUEST)
    done = await groups.patch(ctx, ident, operations)
    return _json(query.one(done, _params(request), Context.RESOURCE_PATCH_RESPONSE))


@router.delete("/Groups/{ident}", status_code=204)
async def delete_group(ctx: Scim, ident: str) -> Response:
    from gateway.identity.scim import groups

    await groups.remove(ctx, ident)
    return Response(status_code=204)


@router.post("/.search")
async def search_all(request: Request, ctx: Scim) -> Response:
    from gateway.identity.scim import groups, query, users

    search = query.search_body(await _body(request))
    found = [*await users.everyone(ctx), *await groups.everyone(ctx)]
    return _json(query.listing(found, search))


@router.get("/{rest:path}")
async def unknown(rest: str) -> Response:
    raise NotFound(f"/scim/v2/{rest} はありません。", f"No SCIM endpoint /scim/v2/{rest}.")
