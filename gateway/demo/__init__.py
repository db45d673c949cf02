"""The demo, apart from production code: the demo users and settings, and the development
OIDC provider they sign in with (refused outside demo and test mode)."""
