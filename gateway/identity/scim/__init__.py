"""SCIM 2.0 provisioning (RFC 7643/7644): the IdP's provisioning client (Entra ID, Okta) creates,
moves and deprovisions people; group membership decides department and role through the same
``oidc.mapping`` rules as sign-in. Built on ``scim2-models``; routes in ``gateway.http.routes.scim``.
"""
