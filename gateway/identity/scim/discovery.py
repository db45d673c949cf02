"""What the SCIM endpoint publishes about itself (RFC 7643 §5-7, RFC 7644 §4): the service
provider configuration, the two resource types and their schemas.

The schemas are the standard User and Group schemas cut down to the attributes Kakehashi keeps
(a provider MAY support a subset, RFC 7643 §2): a client such as ``scim2-tester`` then writes
and reads back only what is really stored. A group's member ``display`` is left out: the name
shown is the person's own, not one a client could set.
"""

from __future__ import annotations

from functools import cache

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    ETag,
    Filter,
    Group,
    Meta,
    Patch,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    Sort,
    User,
)

MAX_RESULTS = 200
_USER_ATTRIBUTES = ("userName", "displayName", "active", "groups")
_GROUP_ATTRIBUTES = ("displayName", "members")
_MEMBER_SUB_ATTRIBUTES = ("value", "$ref", "type")

Document = dict[str, object]


def _cut(schema: Schema, keep: tuple[str, ...], base: str) -> Schema:
    attributes = [a.model_copy(deep=True) for a in schema.attributes or [] if a.name in keep]
    for attribute in attributes:
        if attribute.name == "members" and attribute.sub_attributes:
            attribute.sub_attributes = [
                s for s in attribute.sub_attributes if s.name in _MEMBER_SUB_ATTRIBUTES
            ]
    return schema.model_copy(
        update={
            "attributes": attributes,
            "meta": Meta(resource_type="Schema", location=f"{base}/Schemas/{schema.id}"),
        }
    )


def schemas(base: str) -> list[Schema]:
    return [
        _cut(User.to_schema(), _USER_ATTRIBUTES, base),
        _cut(Group.to_schema(), _GROUP_ATTRIBUTES, base),
    ]


def resource_types(base: str) -> list[ResourceType]:
    found = []
    for model in (User, Group):
        kind = ResourceType.from_resource(model)
        kind.meta = Meta(resource_type="ResourceType", location=f"{base}/ResourceTypes/{kind.id}")
        found.append(kind)
    return found


@cache
def _config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri="https://github.com/kakehashi/kakehashi/blob/main/docs/sso.md",
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Bearer token",
                description="The provisioning token made by `kakehashi scim token` "
                "or set as KAKEHASHI_SCIM_TOKEN.",
                primary=True,
            )
        ],
    )


def config(base: str) -> Document:
    found = _config().model_copy(
        update={
            "meta": Meta(
                resource_type="ServiceProviderConfig", location=f"{base}/ServiceProviderConfig"
            )
        }
    )
    return dump(found)


def dump(resource: object) -> Document:
    """A discovery resource as the JSON a client reads."""
    document: Document = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)  # type: ignore[attr-defined]
    return document
