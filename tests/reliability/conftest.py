"""The reliability and security proofs run ``amends`` as a user would, like the e2e tests."""

from tests.e2e.conftest import amends

__all__ = ["amends"]
