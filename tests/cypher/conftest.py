"""The publish fixtures (case database, recorded dry-run publish) are shared with these tests."""

from tests.publish.conftest import case_db, recorded

__all__ = ["case_db", "recorded"]
