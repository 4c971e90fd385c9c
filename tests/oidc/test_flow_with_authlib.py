"""The proof with a client we did not write: Authlib's OAuth2Session against a live Yiwang, the citizen
signing in through the real log-in and consent pages in Chromium.

The relying party's callback (``http://127.0.0.1:<free port>/cb``) is a bare standard-library HTTP server
that only records what the browser brings it — the code, state and ``iss`` a department system receives.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from tests.browser.conftest import axe_violations, screenshot
from tests.oidc import rp
from yiwang.audit.models import AuditEvent
from yiwang.oidc.services import oidc_client_register, signing_key_create, signing_key_rotate
from yiwang.testing.world import PASSWORD, World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL_SCOPES = "openid profile phone idcard_masked enterprise"


class CallbackServer:
    """The department system's callback: answers 200 to anything and remembers the URLs it was sent."""

    def __init__(self) -> None:
        seen: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/favicon.ico":
                    seen.append(f"http://127.0.0.1:{self.server.server_address[1]}{self.path}")
                body = b"department system"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the browser moved on
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # keep the URLs (codes) out of stderr
                pass

        self.seen = seen
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Relying:
    """A department system as Authlib sees it: its registration, and the provider's metadata."""

    client_id: str
    client_secret: str
    redirect_uri: str
    logout_uri: str
    metadata: dict[str, Any]
    opened: list[OAuth2Session] = field(default_factory=list, repr=False)

    def session(self, scope: str = ALL_SCOPES, **kwargs: Any) -> OAuth2Session:
        session = OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=scope,
            redirect_uri=self.redirect_uri,
            code_challenge_method=kwargs.pop("code_challenge_method", "S256"),
            **kwargs,
        )
        self.opened.append(session)
        return session

    def close(self) -> None:
        """Close the kept-alive HTTP connections: each holds a live-server thread and its database session."""
        for session in self.opened:
            session.close()

    def jwks(self) -> dict[str, Any]:
        return requests.get(self.metadata["jwks_uri"], timeout=10).json()


@pytest.fixture
def live_world(transactional_db) -> World:
    world = build_world()
    signing_key_create(actor=None)
    return world


@pytest.fixture
def register(live_world: World, live_server, callbacks: CallbackServer) -> Iterator[Callable[..., Relying]]:
    """Register a confidential client whose callback is ``callbacks``; returns the Authlib side of it."""
    made: list[Relying] = []

    def make(*, name: str, scopes: str) -> Relying:
        base = f"http://127.0.0.1:{callbacks.port}"
        application, secret = oidc_client_register(
            actor=live_world.users["admin"],
            name=name,
            client_type="confidential",
            redirect_uris=[base + "/cb"],
            post_logout_redirect_uris=[base + "/logged-out"],
            allowed_scopes=scopes.split(),
            department=live_world.dept_a_admin,
        )
        assert secret is not None
        metadata = requests.get(live_server.url + "/o/.well-known/openid-configuration", timeout=10).json()
        made.append(Relying(application.client_id, secret, base + "/cb", base + "/logged-out", metadata))
        return made[-1]

    yield make
    for relying in made:
        relying.close()


@pytest.fixture
def callbacks() -> Iterator[CallbackServer]:
    server = CallbackServer()
    yield server
    server.close()


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def _assert_accessible(page, name: str) -> None:
    violations = axe_violations(page)
    if violations:
        screenshot(page, f"axe-{name}")
    assert violations == [], f"axe-core violations on {name}: {violations}"


def _sign_in(page, username: str) -> None:
    page.wait_for_url("**/accounts/login/**")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _arrival(page, uri: str) -> str:
    """Wait until the browser has arrived at the department system's ``uri``; return the full URL."""
    page.wait_for_url(uri + "**")
    return str(page.url)


def _approve(page, relying: Relying) -> str:
    """Click 同意 on the consent page; return the callback URL the browser was sent to."""
    page.get_by_role("button", name="同意并登录").click()
    return _arrival(page, relying.redirect_uri)


def test_a_citizen_signs_in_to_a_department_system_through_yiwang(live_server, page, register, live_world, caplog):
    caplog.set_level(logging.DEBUG)  # whatever any logger would emit, even at DEBUG, is looked at below
    relying = register(name="兰山区不动产登记系统", scopes=ALL_SCOPES)
    issuer = live_server.url + "/o"
    assert relying.metadata["issuer"] == issuer

    # 1. The department system builds the authorization URL (PKCE S256, nonce) with Authlib.
    session = relying.session()
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = session.create_authorization_url(
        relying.metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    assert "code_challenge_method=S256" in url

    # 2. The citizen signs in on the real log-in page and approves on the consent page.
    page.goto(url)
    _sign_in(page, "citizen_owner")
    page.wait_for_url("**/o/authorize/**")
    assert page.locator("h1").inner_text() == "授权登录"
    consent_text = page.locator("main").inner_text()
    for expected in ("兰山区不动产登记系统", "兰山区行政审批服务局", "测试群众甲", "身份证号（脱敏", "手机号（脱敏"):
        assert expected in consent_text
    _assert_accessible(page, "oidc-consent")
    callback = _approve(page, relying)
    answer = _query(callback)
    assert answer["state"] == state
    assert answer["iss"] == issuer  # RFC 9207: the response names who issued the code

    # 3. Authlib exchanges the code (with the verifier) and verifies the ID token against the JWKS.
    token = session.fetch_token(
        relying.metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    assert token["token_type"] == "Bearer" and token["scope"] == ALL_SCOPES
    jwks = relying.jwks()
    claims = rp.verify_id_token(
        token["id_token"], jwks=jwks, issuer=issuer, client_id=relying.client_id, nonce=nonce,
        access_token=token["access_token"],
    )  # fmt: skip
    assert rp.header_of(token["id_token"])["kid"] == jwks["keys"][0]["kid"]
    assert claims["name"] == "测试群众甲"
    assert claims["sub"] not in ("citizen_owner", str(live_world.users["citizen_owner"].pk))

    # 4. Userinfo gives the masked identifiers the scopes cover.
    info = session.get(relying.metadata["userinfo_endpoint"], timeout=10).json()
    person = live_world.persons["owner"]
    assert info["sub"] == claims["sub"]
    assert info["id_number_masked"] == person.id_number_masked and "*" in info["id_number_masked"]
    assert info["phone_number"] == "138****0001"
    assert info["enterprises"] == []

    # 5. Refresh: a new pair, the old refresh token is spent.
    first_refresh = token["refresh_token"]
    renewed = session.refresh_token(relying.metadata["token_endpoint"])
    assert renewed["refresh_token"] != first_refresh
    refreshed_claims = rp.verify_id_token(
        renewed["id_token"], jwks=jwks, issuer=issuer, client_id=relying.client_id, nonce=None
    )
    assert refreshed_claims["sub"] == claims["sub"]

    # 6. RP-initiated logout at the end_session_endpoint, confirmed on a Chinese page.
    logout_url = (
        relying.metadata["end_session_endpoint"]
        + "?"
        + urlencode(
            {"id_token_hint": renewed["id_token"], "post_logout_redirect_uri": relying.logout_uri, "state": "bye"}
        )
    )
    page.goto(logout_url)
    assert page.locator("h1").inner_text() == "退出登录"
    assert "是否同时退出一网通办" in page.locator("main").inner_text()
    _assert_accessible(page, "oidc-logout")
    page.get_by_role("button", name="确认退出").click()
    assert _query(_arrival(page, relying.logout_uri)) == {"state": "bye"}

    # 7. Logout revoked the tokens: the refresh token no longer works, nor the access token.
    with pytest.raises(OAuthError) as refused:
        session.refresh_token(relying.metadata["token_endpoint"])
    assert refused.value.error == "invalid_grant"
    assert session.get(relying.metadata["userinfo_endpoint"], timeout=10).status_code == 401
    # … and the platform session ended: a new authorization asks for the password again.
    page.goto(
        relying.session().create_authorization_url(relying.metadata["authorization_endpoint"], code_verifier=verifier)[
            0
        ]
    )
    page.wait_for_url("**/accounts/login/**")

    # 8. Audited at every step; no token, code or secret in the audit log or in any log record.
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "oidc.consent.grant", "oidc.code.issue", "oidc.token.issue", "oidc.token.refresh", "oidc.logout",
        "oidc.token.refresh_refused",
    } <= actions  # fmt: skip
    values = [
        answer["code"], relying.client_secret, verifier,
        token["access_token"], token["refresh_token"], token["id_token"],
        renewed["access_token"], renewed["refresh_token"], renewed["id_token"],
    ]  # fmt: skip
    audit_dump = json.dumps(list(AuditEvent.objects.values()), default=str, ensure_ascii=False)
    logged = "\n".join(f"{record.name} {record.getMessage()}" for record in caplog.records)
    assert caplog.records, "the log capture saw nothing; the check below would prove nothing"
    assert [v for v in values if v in audit_dump] == []
    assert [v for v in values if v in logged] == []


def test_what_is_refused_and_key_rotation_with_authlib(live_server, page, register, callbacks, live_world):
    relying = register(name="罗庄区公积金系统", scopes="openid profile")
    issuer = live_server.url + "/o"

    # No PKCE: Authlib without a code challenge is sent back with invalid_request (the citizen signs in first).
    bare = relying.session(scope="openid profile", code_challenge_method=None)
    url, _ = bare.create_authorization_url(relying.metadata["authorization_endpoint"])
    assert "code_challenge" not in url
    page.goto(url)
    _sign_in(page, "citizen_owner")
    answer = _query(_arrival(page, relying.redirect_uri))
    assert answer["error"] == "invalid_request" and "code" not in answer

    # A scope the client is not allowed: not granted (invalid_scope), no consent page shown.
    greedy = relying.session(scope="openid profile idcard_masked")
    url, _ = greedy.create_authorization_url(
        relying.metadata["authorization_endpoint"], code_verifier=generate_token(48)
    )
    page.goto(url)
    assert _query(_arrival(page, relying.redirect_uri))["error"] == "invalid_scope"

    # A redirect URI that was never registered: a Chinese error page, nothing sent anywhere.
    stranger = OAuth2Session(
        relying.client_id, scope="openid", redirect_uri="http://127.0.0.1:9/elsewhere", code_challenge_method="S256"
    )
    url, _ = stranger.create_authorization_url(
        relying.metadata["authorization_endpoint"], code_verifier=generate_token(48)
    )
    before = len(callbacks.seen)
    response = page.goto(url)
    assert response is not None and response.status == 400
    assert page.locator("h1").inner_text() == "授权请求无效"
    assert "回调地址与登记的地址不一致" in page.locator("main").inner_text()
    _assert_accessible(page, "oidc-error")
    assert len(callbacks.seen) == before

    # Key rotation: an ID token signed before stays verifiable through the JWKS; new ones carry the new kid.
    def sign_in_with_authlib() -> tuple[OAuth2Session, dict[str, Any], str]:
        session = relying.session(scope="openid profile")
        verifier, nonce = generate_token(48), generate_token(20)
        url, _ = session.create_authorization_url(
            relying.metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        page.goto(url)
        # The first time the consent page asks; the second time the consent is on record and the browser
        # goes straight back to the department system.
        on_consent_page = "/o/authorize/" in page.url
        callback = _approve(page, relying) if on_consent_page else _arrival(page, relying.redirect_uri)
        token = session.fetch_token(
            relying.metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
        )
        return session, token, nonce

    _, before_rotation, nonce_before = sign_in_with_authlib()
    old_kid = rp.header_of(before_rotation["id_token"])["kid"]
    new_key, old_key = signing_key_rotate(actor=None)
    assert old_key is not None and old_key.kid == old_kid
    jwks = relying.jwks()
    assert [key["kid"] for key in jwks["keys"]] == [new_key.kid, old_kid]
    rp.verify_id_token(
        before_rotation["id_token"], jwks=jwks, issuer=issuer, client_id=relying.client_id, nonce=nonce_before
    )
    session, after_rotation, nonce_after = sign_in_with_authlib()
    assert rp.header_of(after_rotation["id_token"])["kid"] == new_key.kid
    rp.verify_id_token(
        after_rotation["id_token"], jwks=jwks, issuer=issuer, client_id=relying.client_id, nonce=nonce_after
    )
    refreshed = session.refresh_token(relying.metadata["token_endpoint"])
    assert rp.header_of(refreshed["id_token"])["kid"] == new_key.kid

    # Revocation through Authlib (RFC 7009): the refresh token stops working at once.
    revoked = session.revoke_token(
        issuer + "/revoke_token/", token=refreshed["refresh_token"], token_type_hint="refresh_token"
    )
    assert revoked.status_code == 200
    with pytest.raises(OAuthError):
        session.refresh_token(relying.metadata["token_endpoint"], refresh_token=refreshed["refresh_token"])
