"""Fixtures of the OpenID Connect tests: a signing key, a registered client, PKCE pairs, a signed-in citizen."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tests.browser.conftest import browser, page  # noqa: F401 — Chromium fixtures for the live-server tests
from yiwang.oidc.models import SigningKey
from yiwang.oidc.services import oidc_client_register, signing_key_create
from yiwang.testing.world import World

ALL_SCOPES = ["openid", "profile", "phone", "idcard_masked", "enterprise"]
REDIRECT_URI = "http://127.0.0.1:8765/cb"
LOGOUT_URI = "http://127.0.0.1:8765/logged-out"


@dataclass
class RegisteredClient:
    application: Any
    client_id: str
    secret: str | None
    redirect_uri: str


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) as RFC 7636 defines them."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def register(
    world: World,
    *,
    name: str = "兰山区不动产登记系统",
    client_type: str = "confidential",
    scopes: list[str] | None = None,
    redirect_uri: str = REDIRECT_URI,
    logout_uri: str = LOGOUT_URI,
) -> RegisteredClient:
    application, secret = oidc_client_register(
        actor=world.users["admin"],
        name=name,
        client_type=client_type,
        redirect_uris=[redirect_uri],
        post_logout_redirect_uris=[logout_uri],
        allowed_scopes=scopes or ALL_SCOPES,
        department=world.dept_a_admin,
    )
    return RegisteredClient(application, application.client_id, secret, redirect_uri)


@pytest.fixture
def signing_key(db) -> SigningKey:
    return signing_key_create(actor=None)


@pytest.fixture
def client_app(world: World, signing_key: SigningKey) -> RegisteredClient:
    return register(world)


@pytest.fixture
def citizen(world: World) -> Client:
    client = Client()
    client.force_login(world.users["citizen_owner"])
    return client
