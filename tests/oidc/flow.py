"""The authorization-code flow driven with Django's test client (the Chromium + Authlib test drives the same
flow with a browser and a client library; these helpers keep the many small protocol tests short)."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client

from tests.oidc.conftest import RegisteredClient, pkce_pair

AUTHORIZE = "/o/authorize/"
TOKEN = "/o/token/"
USERINFO = "/o/userinfo/"
REVOKE = "/o/revoke_token/"
LOGOUT = "/o/logout/"
JWKS = "/o/.well-known/jwks.json"
ISSUER = "http://testserver/o"


@dataclass
class Authorization:
    params: dict[str, str]
    verifier: str


def authorization(app: RegisteredClient, *, scope: str = "openid profile", **overrides: str) -> Authorization:
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "scope": scope,
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return Authorization({k: v for k, v in params.items() if v != ""}, verifier)


def authorize_get(client: Client, auth: Authorization) -> Any:
    return client.get(AUTHORIZE + "?" + urlencode(auth.params))


def consent(client: Client, auth: Authorization, *, allow: bool = True, **overrides: str) -> Any:
    """POST the consent form as the page would (the hidden fields are the request's parameters)."""
    data = {**auth.params, **overrides}
    if allow:
        data["allow"] = "1"
    return client.post(AUTHORIZE, data)


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def basic(app: RegisteredClient) -> str:
    return "Basic " + base64.b64encode(f"{app.client_id}:{app.secret}".encode()).decode()


def token_request(app: RegisteredClient, data: dict[str, str]) -> Any:
    return Client().post(TOKEN, data, HTTP_AUTHORIZATION=basic(app))


def code_for(client: Client, app: RegisteredClient, auth: Authorization) -> str:
    response = consent(client, auth)
    assert response.status_code == 302, response.content[:500]
    answer = query_of(response["Location"])
    assert answer.get("state") == auth.params["state"], answer
    return answer["code"]


def tokens_for(client: Client, app: RegisteredClient, *, scope: str = "openid profile") -> tuple[dict, Authorization]:
    """Sign in through the whole flow and return the token response and the authorization request."""
    auth = authorization(app, scope=scope)
    code = code_for(client, app, auth)
    response = token_request(
        app,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
            "code_verifier": auth.verifier,
        },
    )
    assert response.status_code == 200, response.content
    return json.loads(response.content), auth


def refresh(app: RegisteredClient, refresh_token: str) -> Any:
    return token_request(app, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def userinfo(access_token: str) -> Any:
    return Client().get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {access_token}")
