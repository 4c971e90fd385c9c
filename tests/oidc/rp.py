"""What a relying party does with Authlib: verify an ID token against the JWKS (signature, iss, aud, exp,
iat, nonce, at_hash). ``authlib.jose`` is Authlib's JOSE API (it announces joserfc as its successor)."""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any

import authlib.deprecate

with warnings.catch_warnings():
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.jose import JsonWebKey, jwt
    from authlib.oidc.core import CodeIDToken


def verify_id_token(
    id_token: str,
    *,
    jwks: dict[str, Any],
    issuer: str,
    client_id: str,
    nonce: str | None,
    access_token: str | None = None,
) -> dict[str, Any]:
    """``nonce=None`` for an ID token from a refresh (OIDC Core §12.2: it carries no nonce)."""
    keys = JsonWebKey.import_key_set(jwks)
    claims = jwt.decode(
        id_token,
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": client_id}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": access_token},
    )
    claims.validate()
    return dict(claims)


def header_of(token: str) -> dict[str, Any]:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
