"""Fixtures are split by concern under tests/fixtures and registered here."""

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.upstream",
    "tests.fixtures.gateway",
    "tests.fixtures.oidc",
    "tests.fixtures.redaction",
    "tests.fixtures.policies",
    "tests.fixtures.chat",
    "tests.fixtures.browser",
    "tests.fixtures.notify",
]
