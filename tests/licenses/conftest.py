"""Fixtures of the licences tests: the cases tests' uploads (materials handed in with an application)."""

from tests.cases.conftest import person_item, upload_for

__all__ = ["person_item", "upload_for"]
