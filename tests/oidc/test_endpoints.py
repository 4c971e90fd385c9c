"""The OpenID Connect endpoints through Django's test client: discovery and JWKS, the code flow with PKCE,
claims by scope, refresh rotation and replay, revocation, RP-initiated logout, key rotation — and what
is refused (no PKCE, plain PKCE, unregistered or insecure redirect URIs, scopes beyond the client's)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from tests.oidc import rp
from tests.oidc.conftest import ALL_SCOPES, LOGOUT_URI, REDIRECT_URI, RegisteredClient, register
from tests.oidc.flow import (
    ISSUER,
    JWKS,
    LOGOUT,
    REVOKE,
    authorization,
    authorize_get,
    basic,
    consent,
    query_of,
    refresh,
    tokens_for,
    userinfo,
)
from yiwang.accounts.models import EnterpriseAgent
from yiwang.accounts.services import legal_person_register
from yiwang.audit.models import AuditEvent
from yiwang.core.identifiers import make_uscc
from yiwang.oidc.models import Subject
from yiwang.oidc.services import signing_key_rotate
from yiwang.testing.world import World


def verify_id_token(id_token: str, *, client_id: str, nonce: str, access_token: str | None = None) -> dict:
    """Verify like a relying party: signature against the published JWKS, then iss, aud, exp, nonce, at_hash."""
    jwks = Client().get(JWKS).json()
    return rp.verify_id_token(
        id_token, jwks=jwks, issuer=ISSUER, client_id=client_id, nonce=nonce, access_token=access_token
    )


def header_kid(token: str) -> str:
    return rp.header_of(token)["kid"]


# --- discovery and keys -----------------------------------------------------------------------------------


def test_discovery_names_the_issuer_the_endpoints_and_only_what_is_supported(signing_key):
    doc = Client().get("/o/.well-known/openid-configuration").json()
    assert doc["issuer"] == ISSUER
    assert doc["authorization_endpoint"] == ISSUER + "/authorize/"
    assert doc["token_endpoint"] == ISSUER + "/token/"
    assert doc["userinfo_endpoint"] == ISSUER + "/userinfo/"
    assert doc["jwks_uri"] == ISSUER + "/.well-known/jwks.json"
    assert doc["end_session_endpoint"] == ISSUER + "/logout/"
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["scopes_supported"] == ALL_SCOPES
    assert {"sub", "name", "phone_number", "id_number_masked", "enterprises"} <= set(doc["claims_supported"])
    # The same document at the site root, naming the same issuer.
    assert Client().get("/.well-known/openid-configuration").json() == doc


def test_jwks_publishes_the_active_key_under_its_kid(signing_key):
    keys = Client().get(JWKS).json()["keys"]
    assert [(k["kid"], k["alg"], k["use"], k["kty"]) for k in keys] == [(signing_key.kid, "RS256", "sig", "RSA")]
    assert "d" not in keys[0]  # public part only


# --- the code flow ----------------------------------------------------------------------------------------


def test_code_flow_gives_a_verifiable_id_token_and_userinfo(world: World, client_app: RegisteredClient, citizen):
    page = authorize_get(citizen, authorization(client_app, scope="openid profile phone idcard_masked"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "兰山区不动产登记系统" in text and "兰山区行政审批服务局" in text
    assert "手机号（脱敏" in text and "身份证号（脱敏" in text

    tokens, auth = tokens_for(citizen, client_app, scope="openid profile phone idcard_masked")
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 600
    assert tokens["scope"] == "openid profile phone idcard_masked"
    claims = verify_id_token(
        tokens["id_token"],
        client_id=client_app.client_id,
        nonce=auth.params["nonce"],
        access_token=tokens["access_token"],
    )
    owner = world.users["citizen_owner"]
    sub = Subject.objects.get(user=owner).sub
    assert claims["sub"] == sub
    assert claims["name"] == "测试群众甲"
    assert claims["preferred_username"] == "citizen_owner"
    assert claims["exp"] - claims["iat"] == 600
    assert "phone_number" not in claims and "id_number_masked" not in claims  # personal data only via userinfo

    info = userinfo(tokens["access_token"])
    assert info.status_code == 200
    person = world.persons["owner"]
    assert info.json() == {
        "sub": sub,
        "name": "测试群众甲",
        "preferred_username": "citizen_owner",
        "phone_number": "138****0001",
        "id_number_masked": person.id_number_masked,
    }


def test_sub_is_opaque_and_the_same_for_every_client(world: World, client_app: RegisteredClient, citizen):
    other = register(world, name="罗庄区公积金系统")
    first, _ = tokens_for(citizen, client_app)
    second, _ = tokens_for(citizen, other)
    subs = {userinfo(first["access_token"]).json()["sub"], userinfo(second["access_token"]).json()["sub"]}
    owner = world.users["citizen_owner"]
    assert len(subs) == 1
    (sub,) = subs
    assert len(sub) == 32 and sub not in (owner.username, str(owner.pk))


def test_userinfo_gives_only_what_the_scopes_cover(client_app: RegisteredClient, citizen):
    tokens, _ = tokens_for(citizen, client_app, scope="openid")
    assert set(userinfo(tokens["access_token"]).json()) == {"sub"}


def test_enterprise_claim_lists_represented_and_currently_authorised_enterprises(
    world: World, client_app: RegisteredClient, citizen
):
    owner, other = world.persons["owner"], world.persons["other"]
    own = legal_person_register(
        actor=None, uscc=make_uscc("91", "371302", "MA000001"), name="兰山测试商贸有限公司",
        legal_representative=owner, region=world.county_a,
    )  # fmt: skip
    agent_for = legal_person_register(
        actor=None, uscc=make_uscc("91", "371311", "MA000002"), name="罗庄测试物流有限公司",
        legal_representative=other, region=world.county_b,
    )  # fmt: skip
    expired = legal_person_register(
        actor=None, uscc=make_uscc("91", "371311", "MA000003"), name="已过期授权有限公司",
        legal_representative=other, region=world.county_b,
    )  # fmt: skip
    until = timezone.now() + dt.timedelta(days=30)
    EnterpriseAgent.objects.create(enterprise=agent_for, person=owner, scope_all=True, valid_until=until)
    EnterpriseAgent.objects.create(
        enterprise=expired, person=owner, scope_all=True, valid_until=timezone.now() - dt.timedelta(minutes=1)
    )
    tokens, _ = tokens_for(citizen, client_app, scope="openid enterprise")
    assert userinfo(tokens["access_token"]).json()["enterprises"] == [
        {"uscc": own.uscc, "name": "兰山测试商贸有限公司", "role": "legal_representative", "valid_until": None},
        {
            "uscc": agent_for.uscc,
            "name": "罗庄测试物流有限公司",
            "role": "agent",
            "valid_until": until.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    ]


# --- what is refused --------------------------------------------------------------------------------------


def test_authorization_without_pkce_is_refused(client_app: RegisteredClient, citizen):
    auth = authorization(client_app, code_challenge="", code_challenge_method="")
    response = authorize_get(citizen, auth)
    assert response.status_code == 302
    answer = query_of(response["Location"])
    assert response["Location"].startswith(REDIRECT_URI)
    assert (answer["error"], answer["state"]) == ("invalid_request", auth.params["state"])
    assert "code" not in answer
    # Nor does posting the consent form without a challenge produce a code.
    assert "code" not in query_of(consent(citizen, auth)["Location"])
    assert Grant.objects.count() == 0


def test_plain_pkce_method_is_refused(client_app: RegisteredClient, citizen):
    auth = authorization(client_app, code_challenge="a" * 43, code_challenge_method="plain")
    response = consent(citizen, auth)
    assert query_of(response["Location"])["error"] == "invalid_request"
    assert Grant.objects.count() == 0


def test_code_cannot_be_exchanged_without_the_matching_verifier(client_app: RegisteredClient, citizen):
    from tests.oidc.flow import code_for, token_request

    auth = authorization(client_app)
    code = code_for(citizen, client_app, auth)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": "x" * 50}
    response = token_request(client_app, data)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    assert AccessToken.objects.count() == 0


def test_an_unregistered_redirect_uri_is_refused_on_a_page_not_redirected_to(client_app: RegisteredClient, citizen):
    auth = authorization(client_app, redirect_uri="https://evil.example.com/cb")
    response = authorize_get(citizen, auth)
    assert response.status_code == 400
    assert "回调地址与登记的地址不一致" in response.content.decode()
    assert Grant.objects.count() == 0


def test_http_redirect_to_a_non_loopback_host_is_refused_even_if_somehow_registered(
    client_app: RegisteredClient, citizen
):
    application = client_app.application
    application.redirect_uris = "http://dept.example.gov.cn/cb"  # bypassing the service, as a rogue row would
    application.save(update_fields=["redirect_uris"])
    auth = authorization(client_app, redirect_uri="http://dept.example.gov.cn/cb")
    assert authorize_get(citizen, auth).status_code == 400


def test_a_scope_not_allowed_for_the_client_is_not_granted(world: World, signing_key, citizen):
    narrow = register(world, name="只需姓名的系统", scopes=["openid", "profile"])
    auth = authorization(narrow, scope="openid profile idcard_masked")
    response = authorize_get(citizen, auth)
    assert query_of(response["Location"])["error"] == "invalid_scope"
    # A consent form edited to add the scope is refused the same way.
    tampered = consent(citizen, authorization(narrow, scope="openid profile"), scope="openid profile idcard_masked")
    assert query_of(tampered["Location"])["error"] == "invalid_scope"
    assert Grant.objects.count() == 0
    # What it may ask for works, and the token carries no more.
    tokens, _ = tokens_for(citizen, narrow, scope="openid profile")
    assert tokens["scope"] == "openid profile"
    assert "id_number_masked" not in userinfo(tokens["access_token"]).json()


def test_denying_consent_returns_access_denied_and_is_recorded(client_app: RegisteredClient, citizen, world: World):
    auth = authorization(client_app)
    response = consent(citizen, auth, allow=False)
    assert query_of(response["Location"])["error"] == "access_denied"
    event = AuditEvent.objects.get(action="oidc.consent.deny")
    assert event.actor_username == "citizen_owner"
    assert (event.changes["client_id"], event.changes["scopes"]) == (client_app.client_id, ["openid", "profile"])


def test_anonymous_user_is_sent_to_the_login_page_first(client_app: RegisteredClient):
    response = authorize_get(Client(), authorization(client_app))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/o/authorize/")


def test_consent_page_lets_the_form_go_back_to_the_client_origin_only(client_app: RegisteredClient, citizen):
    response = authorize_get(citizen, authorization(client_app))
    csp = response["Content-Security-Policy"]
    assert "form-action 'self' http://127.0.0.1:8765;" in csp
    assert "frame-ancestors 'none'" in csp


# --- refresh, revocation, logout --------------------------------------------------------------------------


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_family(client_app: RegisteredClient, citizen):
    tokens, _ = tokens_for(citizen, client_app)
    renewed = refresh(client_app, tokens["refresh_token"])
    assert renewed.status_code == 200
    second = renewed.json()
    assert second["refresh_token"] != tokens["refresh_token"]
    assert second["access_token"] != tokens["access_token"]
    assert "id_token" in second
    assert userinfo(second["access_token"]).status_code == 200
    assert userinfo(tokens["access_token"]).status_code == 401  # the old access token went with its refresh token

    replay = refresh(client_app, tokens["refresh_token"])
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    # Reuse protection: the thief's replay also kills the legitimate newest token.
    assert refresh(client_app, second["refresh_token"]).status_code == 400
    assert AuditEvent.objects.filter(action="oidc.token.refresh_refused").count() >= 1


def test_revoking_the_refresh_token_stops_it_and_is_recorded(client_app: RegisteredClient, citizen):
    tokens, _ = tokens_for(citizen, client_app)
    response = Client().post(
        REVOKE,
        {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        HTTP_AUTHORIZATION=basic(client_app),
    )
    assert response.status_code == 200
    assert refresh(client_app, tokens["refresh_token"]).status_code == 400
    event = AuditEvent.objects.get(action="oidc.token.revoke")
    assert event.changes["token_type"] == "refresh_token"
    assert event.actor_username == "citizen_owner"


def test_rp_initiated_logout_asks_in_chinese_then_ends_the_session_and_revokes_tokens(
    client_app: RegisteredClient, citizen
):
    tokens, _ = tokens_for(citizen, client_app)
    query = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": LOGOUT_URI, "state": "bye"}
    page = citizen.get(LOGOUT, query)
    assert page.status_code == 200
    text = page.content.decode()
    assert "是否同时退出一网通办" in text and "兰山区不动产登记系统" in text
    assert "form-action 'self' http://127.0.0.1:8765;" in page["Content-Security-Policy"]

    response = citizen.post(LOGOUT, {**query, "allow": "1"})
    assert response.status_code == 302
    assert response["Location"] == LOGOUT_URI + "?state=bye"
    assert "_auth_user_id" not in citizen.session
    assert userinfo(tokens["access_token"]).status_code == 401
    assert refresh(client_app, tokens["refresh_token"]).status_code == 400
    assert AuditEvent.objects.get(action="oidc.logout").changes["revoked_access_tokens"] == 1


def test_logout_to_an_unregistered_address_is_refused(client_app: RegisteredClient, citizen):
    tokens, _ = tokens_for(citizen, client_app)
    page = citizen.get(
        LOGOUT, {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://evil.example/"}
    )
    assert page.status_code == 400
    assert "退出后的跳转地址未登记" in page.content.decode()
    assert "_auth_user_id" in citizen.session


# --- key rotation -----------------------------------------------------------------------------------------


def test_after_rotation_old_tokens_still_verify_and_new_tokens_use_the_new_kid(
    client_app: RegisteredClient, citizen, signing_key
):
    before, auth_before = tokens_for(citizen, client_app)
    assert header_kid(before["id_token"]) == signing_key.kid

    new, old = signing_key_rotate(actor=None)
    assert old is not None and old.pk == signing_key.pk
    published = [k["kid"] for k in Client().get(JWKS).json()["keys"]]
    assert published == [new.kid, signing_key.kid]
    # A relying party holding the old ID token can still verify it against the JWKS.
    verify_id_token(before["id_token"], client_id=client_app.client_id, nonce=auth_before.params["nonce"])

    after, auth_after = tokens_for(citizen, client_app)
    assert header_kid(after["id_token"]) == new.kid
    verify_id_token(after["id_token"], client_id=client_app.client_id, nonce=auth_after.params["nonce"])
    # The old ID token is still accepted as a logout hint.
    page = citizen.get(LOGOUT, {"id_token_hint": before["id_token"], "post_logout_redirect_uri": LOGOUT_URI})
    assert page.status_code == 200

    # Once its publication ends, the old key leaves the JWKS.
    past = timezone.now() - dt.timedelta(days=2)
    type(old).objects.filter(pk=old.pk).update(retired_at=past, expires_at=past + dt.timedelta(days=1))
    assert [k["kid"] for k in Client().get(JWKS).json()["keys"]] == [new.kid]


# --- the audit trail --------------------------------------------------------------------------------------


def test_every_step_is_audited_and_no_token_code_or_secret_is_stored_in_the_audit_log(
    client_app: RegisteredClient, citizen
):
    auth = authorization(client_app)
    consent_response = consent(citizen, auth)
    code = query_of(consent_response["Location"])["code"]
    from tests.oidc.flow import token_request

    tokens = token_request(
        client_app,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": auth.verifier,
        },
    ).json()
    renewed = refresh(client_app, tokens["refresh_token"]).json()
    Client().post(REVOKE, {"token": renewed["refresh_token"]}, HTTP_AUTHORIZATION=basic(client_app))

    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-6:] == [
        "oidc.code.issue",
        "oidc.consent.grant",
        "oidc.subject.create",
        "oidc.token.issue",
        "oidc.token.refresh",
        "oidc.token.revoke",
    ]
    secrets_seen = [
        code,
        client_app.secret,
        auth.verifier,
        tokens["access_token"],
        tokens["refresh_token"],
        tokens["id_token"],
        renewed["access_token"],
        renewed["refresh_token"],
        renewed["id_token"],
    ]
    dump = json.dumps(list(AuditEvent.objects.values()), default=str, ensure_ascii=False)
    assert not [value for value in secrets_seen if value and value in dump]
    # Tokens are stored only as checksums (RFC 9700 token storage).
    assert RefreshToken.objects.count() == 2
    assert not AccessToken.objects.exclude(token="").exists()
    assert not RefreshToken.objects.exclude(token="").exists()
    assert IDToken.objects.count() == 2


@pytest.mark.parametrize("path", ["/o/token/", "/o/revoke_token/"])
def test_token_endpoints_refuse_a_wrong_client_secret(client_app: RegisteredClient, path: str):
    response = Client().post(
        path, {"grant_type": "refresh_token", "refresh_token": "x", "token": "x"}, HTTP_AUTHORIZATION="Basic eDp5"
    )
    assert response.status_code == 401


def test_after_our_own_form_the_way_back_to_the_client_is_a_page_not_a_redirect(client_app: RegisteredClient, citizen):
    """Log-in form → /o/authorize/ → client would be blocked by form-action 'self' on the last hop."""
    tokens_for(citizen, client_app)  # consent on record, so the next authorization goes straight back
    auth = authorization(client_app)
    page = citizen.get("/o/authorize/", auth.params, HTTP_SEC_FETCH_SITE="same-origin", HTTP_SEC_FETCH_MODE="navigate")
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "no-referrer"
    text = page.content.decode()
    target = text.split('<meta http-equiv="refresh" content="0;url=')[1].split('"')[0].replace("&amp;", "&")
    assert target.startswith(REDIRECT_URI + "?code=")
    assert query_of(target)["state"] == auth.params["state"]
    assert "正在返回兰山区不动产登记系统" in text
    # Coming straight from the client's site, it is the plain redirect.
    direct = citizen.get("/o/authorize/", authorization(client_app).params, HTTP_SEC_FETCH_SITE="cross-site")
    assert direct.status_code == 302 and direct["Location"].startswith(REDIRECT_URI + "?code=")


def test_protocol_libraries_never_log_at_debug_level():
    """DOT logs the success URL (with the authorization code) at DEBUG; our logging config never emits it,
    whatever YIWANG_LOG_LEVEL says (the live-server test scans every captured record for token values)."""
    import logging

    assert logging.getLogger("oauth2_provider").getEffectiveLevel() >= logging.INFO
    assert logging.getLogger("oauthlib").getEffectiveLevel() >= logging.WARNING


def test_staff_with_only_the_password_are_asked_for_the_second_factor_first(client_app: RegisteredClient):
    """A department system used by staff gets a staff identity only after the second factor (issue 4)."""
    from django.urls import reverse

    from yiwang.testing.world import PASSWORD

    clerk = Client()
    clerk.post(reverse("accounts:login"), {"username": "clerk_a", "password": PASSWORD})
    assert "_auth_user_id" in clerk.session  # signed in with the password, second factor still owed
    response = authorize_get(clerk, authorization(client_app))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify") + "?next=/o/authorize/")
    assert Grant.objects.count() == 0


def test_a_public_client_signs_in_with_pkce_and_no_secret(world: World, signing_key, citizen):
    from tests.oidc.flow import TOKEN, code_for

    public = register(world, name="兰山区政务小程序", client_type="public", scopes=["openid", "profile"])
    assert public.secret is None
    data = {"grant_type": "authorization_code", "redirect_uri": REDIRECT_URI, "client_id": public.client_id}
    stolen = code_for(citizen, public, authorization(public))
    assert Client().post(TOKEN, {**data, "code": stolen, "code_verifier": "x" * 50}).status_code == 400
    auth = authorization(public)
    code = code_for(citizen, public, auth)
    response = Client().post(TOKEN, {**data, "code": code, "code_verifier": auth.verifier})
    assert response.status_code == 200, response.content
    assert set(response.json()) >= {"access_token", "refresh_token", "id_token"}


def test_a_refused_consent_post_records_no_consent(client_app: RegisteredClient, citizen):
    auth = authorization(client_app, code_challenge="", code_challenge_method="")
    assert query_of(consent(citizen, auth)["Location"])["error"] == "invalid_request"
    assert not AuditEvent.objects.filter(action__startswith="oidc.consent").exists()


def test_introspection_answers_the_client_with_sub_not_username(client_app: RegisteredClient, citizen, world: World):
    tokens, _ = tokens_for(citizen, client_app)
    response = Client().post("/o/introspect/", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=basic(client_app))
    assert response.status_code == 200
    data = response.json()
    assert data["active"] is True and data["client_id"] == client_app.client_id
    assert data["sub"] == Subject.objects.get(user=world.users["citizen_owner"]).sub
    assert "username" not in data
    unknown = Client().post("/o/introspect/", {"token": "nope"}, HTTP_AUTHORIZATION=basic(client_app))
    assert unknown.json() == {"active": False}
    assert Client().post("/o/introspect/", {"token": tokens["access_token"]}).status_code in (401, 403)


def test_logout_naming_an_unknown_client_gets_a_page_not_a_server_error(signing_key, citizen):
    page = citizen.get(LOGOUT, {"client_id": "no-such-client", "post_logout_redirect_uri": LOGOUT_URI})
    assert page.status_code == 400
    assert "接入系统未登记" in page.content.decode()
