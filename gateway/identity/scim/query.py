"""Listing and searching SCIM resources (RFC 7644 §3.4): filter, page, and the
``attributes``/``excludedAttributes`` a client asked for, through ``scim2-models``.

Filters are evaluated over the provisioned people of one company (tens to a few thousand):
loading them and matching in Python keeps every filter the RFC allows, at a cost that grows
with that number only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scim2_models import (
    Context,
    Group,
    InvalidFilterException,
    ListResponse,
    Resource,
    ResponseParameters,
    ScimFilter,
    SearchRequest,
    User,
)

from gateway.identity.scim.discovery import MAX_RESULTS, Document


def parameters(query: dict[str, str]) -> SearchRequest[Any]:
    """The query string of a GET as a search request (the same checks as a POST /.search)."""
    search: SearchRequest[Any] = SearchRequest.model_validate(
        {k: v for k, v in query.items() if v != ""}, scim_ctx=Context.SEARCH_REQUEST
    )
    return search


def search_body(body: object) -> SearchRequest[Any]:
    """A POST /.search body."""
    search: SearchRequest[Any] = SearchRequest.model_validate(body, scim_ctx=Context.SEARCH_REQUEST)
    return search


def _matches(found: list[Resource[Any]], expression: str | None) -> list[Resource[Any]]:
    if not expression:
        return found
    kept = []
    for resource in found:
        try:
            bound: Any = ScimFilter[type(resource)]  # type: ignore[misc]
            if bound(expression).match(resource):
                kept.append(resource)
        except InvalidFilterException:
            raise
        except (ValueError, TypeError) as exc:
            raise InvalidFilterException(detail=str(exc)) from exc
    return kept


def listing(found: Sequence[Resource[Any]], search: SearchRequest[Any]) -> Document:
    kept = _matches(list(found), str(search.filter) if search.filter else None)
    start = max(search.start_index or 1, 1)
    count = min(search.count if search.count is not None else MAX_RESULTS, MAX_RESULTS)
    page = kept[start - 1 : start - 1 + max(count, 0)]
    response: ListResponse[Any] = ListResponse[User[Any] | Group](
        total_results=len(kept), start_index=start, items_per_page=len(page), resources=page
    )
    document: Document = response.model_dump(
        scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search
    )
    return document


def one(resource: Resource[Any], query: dict[str, str], ctx: Context) -> Document:
    chosen: ResponseParameters[Any] = ResponseParameters.model_validate(
        {k: v for k, v in query.items() if v != ""}
    )
    document: Document = resource.model_dump(scim_ctx=ctx, response_parameters=chosen)
    return document
