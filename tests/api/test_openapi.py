"""The committed OpenAPI snapshot matches the code (also a lint gate: `yiwang openapi --check`)."""

from __future__ import annotations

import json
from pathlib import Path

from django.test import Client

from yiwang.core.management.commands.openapi import SNAPSHOT, current_schema_text


def test_snapshot_is_current():
    assert Path(SNAPSHOT).read_text(encoding="utf-8") == current_schema_text()


def test_served_schema_lists_the_foundation_endpoints(db):
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for path in (
        "/api/v1/accounts/me",
        "/api/v1/accounts/persons/{person_id}/reveal",
        "/api/v1/regions/departments",
        "/api/v1/audit/verify",
    ):
        assert path in paths
    schemes = schema["components"]["securitySchemes"]
    assert {"SessionAuth", "BearerToken"} <= set(schemes)
    assert json.dumps(schema, ensure_ascii=False).count("id_number_masked") >= 1
