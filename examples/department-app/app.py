"""示例部门系统: a department web app that signs its users in through Yiwang (OpenID Connect).

One file, the standard library's WSGI server, Authlib and requests — nothing from Yiwang's code. It does
what every department system must do:

1. read the provider's discovery document (``<issuer>/.well-known/openid-configuration``);
2. send the user to the authorization endpoint with ``state``, ``nonce`` and a PKCE (S256) challenge;
3. at the callback, check ``state``, exchange the code with the client secret and the PKCE verifier;
4. verify the ID token against the JWKS (signature, ``iss``, ``aud``, ``exp``, ``nonce``, ``at_hash``);
5. call userinfo for the masked identifiers the scopes allow;
6. log out at the provider's ``end_session_endpoint`` and come back.

Configuration (environment):
  YIWANG_ISSUER        e.g. http://127.0.0.1:8000/o            (required)
  DEPT_CLIENT_ID       from the workbench page 接入系统          (required)
  DEPT_CLIENT_SECRET   shown once when the client was registered (required for a confidential client)
  DEPT_BASE_URL        where this app is reached, default http://127.0.0.1:8001
  DEPT_SCOPES          default "openid profile phone idcard_masked enterprise"

Run:  python app.py   (then open DEPT_BASE_URL). Register ``<DEPT_BASE_URL>/callback`` as the login
callback and ``<DEPT_BASE_URL>/`` as the post-logout address.
"""

from __future__ import annotations

import html
import os
import secrets
import socketserver
import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from http import cookies
from typing import Any
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

with warnings.catch_warnings():  # authlib.jose names joserfc as its successor; the API is stable until 2.0
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, jwt
    from authlib.jose.errors import JoseError
    from authlib.oidc.core import CodeIDToken

ISSUER = os.environ.get("YIWANG_ISSUER", "").rstrip("/")
CLIENT_ID = os.environ.get("DEPT_CLIENT_ID", "")
CLIENT_SECRET = os.environ.get("DEPT_CLIENT_SECRET") or None
BASE_URL = os.environ.get("DEPT_BASE_URL", "http://127.0.0.1:8001").rstrip("/")
SCOPES = os.environ.get("DEPT_SCOPES", "openid profile phone idcard_masked enterprise")
REDIRECT_URI = BASE_URL + "/callback"
COOKIE = "dept_session"

SESSIONS: dict[str, dict[str, Any]] = {}  # server-side sessions: a demo keeps them in memory
_LOCK = threading.Lock()
_METADATA: dict[str, Any] = {}

Response = tuple[str, list[tuple[str, str]], bytes]


def metadata() -> dict[str, Any]:
    """The provider's discovery document, fetched once; its issuer must be the one we were given."""
    if not _METADATA:
        document = requests.get(ISSUER + "/.well-known/openid-configuration", timeout=10).json()
        if document.get("issuer") != ISSUER:
            raise RuntimeError(f"issuer mismatch: configured {ISSUER}, discovery says {document.get('issuer')}")
        _METADATA.update(document)
    return _METADATA


def oauth_session(**kwargs: Any) -> OAuth2Session:
    return OAuth2Session(
        CLIENT_ID,
        CLIENT_SECRET,
        scope=SCOPES,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if CLIENT_SECRET else "none",
        **kwargs,
    )


def verify_id_token(id_token: str, *, nonce: str, access_token: str) -> dict[str, Any]:
    """Signature against the JWKS (the key named by the token's kid), then iss, aud, exp, iat, nonce, at_hash."""
    jwks = requests.get(metadata()["jwks_uri"], timeout=10).json()
    claims = jwt.decode(
        id_token,
        JsonWebKey.import_key_set(jwks),
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": ISSUER}, "aud": {"essential": True, "value": CLIENT_ID}},
        claims_params={"nonce": nonce, "client_id": CLIENT_ID, "access_token": access_token},
    )
    claims.validate(leeway=30)
    return dict(claims)


# --- pages ------------------------------------------------------------------------------------------------


def page(title: str, body: str, status: str = "200 OK", headers: list[tuple[str, str]] | None = None) -> Response:
    document = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · 示例部门系统</title></head>
<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"""
    return status, [("Content-Type", "text/html; charset=utf-8"), *(headers or [])], document.encode("utf-8")


def redirect(location: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return "302 Found", [("Location", location), *(headers or [])], b""


def home(session: dict[str, Any]) -> Response:
    user = session.get("user")
    if not user:
        intro = "<p>本系统使用一网通办统一身份认证。</p>"
        return page("示例部门系统", intro + '<p><a href="/login">使用一网通办账号登录</a></p>')
    rows = "".join(
        f"<dt>{html.escape(label)}</dt><dd id='{key}'>{html.escape(str(user.get(key, '—')))}</dd>"
        for key, label in (
            ("name", "姓名"),
            ("sub", "用户标识（sub）"),
            ("id_number_masked", "身份证号（脱敏）"),
            ("phone_number", "手机号（脱敏）"),
        )
    )
    enterprises = "".join(
        f"<li>{html.escape(e['name'])}（{html.escape(e['uscc'])}，"
        f"{'法定代表人' if e['role'] == 'legal_representative' else '经办人'}）</li>"
        for e in user.get("enterprises", [])
    )
    body = f"<p>您好，{html.escape(user.get('name', ''))}。</p><dl>{rows}</dl>"
    if enterprises:
        body += f"<h2>可代表办理的企业</h2><ul>{enterprises}</ul>"
    return page("示例部门系统", body + '<p><a href="/logout">退出</a></p>')


def login(session: dict[str, Any]) -> Response:
    verifier, nonce = generate_token(48), generate_token(24)
    url, state = oauth_session().create_authorization_url(
        metadata()["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    session.update({"state": state, "nonce": nonce, "verifier": verifier})
    return redirect(url)


def callback(session: dict[str, Any], query: dict[str, str], full_url: str) -> Response:
    if query.get("state") != session.pop("state", None):
        return page("登录失败", "<p>登录请求已过期或不是本系统发起的，请重新登录。</p>", "400 Bad Request")
    if "error" in query:
        reason = html.escape(query["error"])
        return page("登录未完成", f"<p>一网通办返回：{reason}</p><p><a href='/'>返回</a></p>")
    nonce, verifier = session.pop("nonce"), session.pop("verifier")
    client = oauth_session()
    try:
        token = client.fetch_token(
            metadata()["token_endpoint"], authorization_response=full_url, code_verifier=verifier
        )
        claims = verify_id_token(token["id_token"], nonce=nonce, access_token=token["access_token"])
        info = client.get(metadata()["userinfo_endpoint"], timeout=10).json()
    except (OAuthError, JoseError) as exc:
        return page("登录失败", f"<p>{html.escape(type(exc).__name__)}：{html.escape(str(exc))}</p>", "400 Bad Request")
    if info.get("sub") != claims["sub"]:  # OIDC Core §5.3.2: userinfo must be about the same user
        return page("登录失败", "<p>用户信息与登录凭据不一致。</p>", "400 Bad Request")
    session["user"] = info
    session["id_token"] = token["id_token"]
    return redirect("/")


def logout(session: dict[str, Any]) -> Response:
    id_token = session.get("id_token")
    session.clear()  # this system's own session ends now, whatever the provider says
    if not id_token:
        return redirect("/")
    query = {"id_token_hint": id_token, "post_logout_redirect_uri": BASE_URL + "/", "state": generate_token(16)}
    return redirect(metadata()["end_session_endpoint"] + "?" + urlencode(query))


# --- WSGI plumbing ----------------------------------------------------------------------------------------


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    jar = cookies.SimpleCookie(environ.get("HTTP_COOKIE", ""))
    session_id = jar[COOKIE].value if COOKIE in jar else ""
    with _LOCK:
        if session_id not in SESSIONS:
            session_id = secrets.token_urlsafe(32)
            SESSIONS[session_id] = {}
        session = SESSIONS[session_id]
    path = environ.get("PATH_INFO", "/")
    raw_query = environ.get("QUERY_STRING", "")
    query = {key: values[0] for key, values in parse_qs(raw_query).items()}
    if path == "/":
        status, headers, body = home(session)
    elif path == "/login":
        status, headers, body = login(session)
    elif path == "/callback":
        status, headers, body = callback(session, query, f"{REDIRECT_URI}?{raw_query}")
    elif path == "/logout":
        status, headers, body = logout(session)
    else:
        status, headers, body = page("未找到", "<p>页面不存在。</p>", "404 Not Found")
    headers.append(("Set-Cookie", f"{COOKIE}={session_id}; HttpOnly; SameSite=Lax; Path=/"))
    headers.append(("Cache-Control", "no-store"))
    start_response(status, headers)
    return [body]


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Log the path only: the callback's query string carries the authorization code."""
        sys.stderr.write(f"{self.command} {self.path.split('?')[0]} {args[1] if len(args) > 1 else ''}\n")


def main() -> None:
    if not ISSUER or not CLIENT_ID:
        sys.exit("请设置 YIWANG_ISSUER 和 DEPT_CLIENT_ID（以及机密客户端的 DEPT_CLIENT_SECRET），见 README.md")
    host, _, port = BASE_URL.split("://", 1)[1].partition(":")
    with make_server(host, int(port or 80), application, ThreadingServer, QuietHandler) as server:
        print(f"示例部门系统 {BASE_URL}/ （签发者 {ISSUER}）", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
