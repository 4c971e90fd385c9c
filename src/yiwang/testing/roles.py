"""The role matrix: one request, six personas, an expected status for each — applied to every endpoint.

Personas, for a resource that belongs to a department in a region:
``owner`` (the citizen the record is about, or its creator), ``same_department`` (staff of that
department), ``other_department`` (staff of another department in the same region), ``other_region``
(staff of the same kind of department in another region), ``citizen`` (any other citizen) and
``anonymous``. Each endpoint states all six expectations; none is defaulted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.test import Client

PERSONAS = ("owner", "same_department", "other_department", "other_region", "citizen", "anonymous")


@dataclass
class RoleMatrix:
    users: Mapping[str, Any]  # persona → user (None for anonymous)

    def client_for(self, persona: str) -> Client:
        client = Client()
        user = self.users.get(persona)
        if user is not None:
            client.force_login(user)
        return client

    def check(
        self,
        request: Callable[[Client], Any],
        expected: Mapping[str, int],
        *,
        side_effect: Callable[[], object] | None = None,
    ) -> dict[str, Any]:
        """Send ``request`` as each persona; assert the status; for a refused persona assert that
        ``side_effect()`` (a snapshot of what the request could change) did not change."""
        missing = set(PERSONAS) - set(expected)
        assert not missing, f"role matrix must state every persona; missing: {sorted(missing)}"
        failures: list[str] = []
        responses: dict[str, Any] = {}
        for persona in PERSONAS:
            before = side_effect() if side_effect else None
            response = request(self.client_for(persona))
            responses[persona] = response
            if response.status_code != expected[persona]:
                failures.append(
                    f"{persona}: expected {expected[persona]}, got {response.status_code} "
                    f"{response.content[:200].decode('utf-8', 'replace')}"
                )
            elif response.status_code >= 400 and side_effect is not None and side_effect() != before:
                failures.append(f"{persona}: refused with {response.status_code} but the data changed")
        assert not failures, "role matrix failed:\n" + "\n".join(failures)
        return responses
