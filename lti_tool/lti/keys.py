"""Senda's own RSA keys: the pair that signs deep-linking responses and service-token requests.

The current key and the previous one are both published at /lti/jwks, so a rotation never breaks
a JWT signed moments before it (Security Framework §6.4). The key id is the RFC 7638 thumbprint.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from pylti1p3.registration import Registration
from sqlalchemy import select

from lti_tool.models import ToolKey, db


def public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, Any]:
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    thumbprint_input = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(thumbprint_input.encode()).digest()
    kid = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return {"kty": "RSA", "e": jwk["e"], "n": jwk["n"], "kid": kid, "alg": "RS256", "use": "sig"}


def new_key_pair() -> tuple[str, dict[str, Any]]:
    """A fresh 2048-bit RSA key: (private key PEM, public JWK)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, public_jwk(private_key.public_key())


def current_key() -> ToolKey | None:
    key: ToolKey | None = db.session.scalar(select(ToolKey).where(ToolKey.status == "current"))
    return key


def ensure_current_key() -> ToolKey:
    """Create the first key pair if there is none; idempotent."""
    key = current_key()
    if key is None:
        pem, jwk = new_key_pair()
        key = ToolKey(kid=jwk["kid"], status="current", private_pem=pem, public_jwk=jwk)
        db.session.add(key)
        db.session.commit()
    return key


def rotate() -> ToolKey:
    """Make a new current key; the old current becomes `previous`, the old previous `retired`."""
    for old in db.session.scalars(select(ToolKey).where(ToolKey.status == "previous")):
        old.status = "retired"
    for old in db.session.scalars(select(ToolKey).where(ToolKey.status == "current")):
        old.status = "previous"
    pem, jwk = new_key_pair()
    key = ToolKey(kid=jwk["kid"], status="current", private_pem=pem, public_jwk=jwk)
    db.session.add(key)
    db.session.commit()
    return key


def published_jwks() -> dict[str, list[dict[str, Any]]]:
    keys = db.session.scalars(
        select(ToolKey).where(ToolKey.status.in_(["current", "previous"])).order_by(ToolKey.id)
    )
    return {"keys": [dict(key.public_jwk) for key in keys]}


@lru_cache(maxsize=8)
def _load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def signing_key() -> tuple[str, rsa.RSAPrivateKey, str]:
    """(kid, private key, private PEM) of the current key; parsing is cached per process."""
    key = current_key() or ensure_current_key()
    return key.kid, _load_private_key(key.private_pem), key.private_pem


class SigningRegistration(Registration):
    """pylti1p3's Registration holding Senda's current key as a parsed object.

    pylti1p3 signs with the private key's PEM text and derives the kid from the public PEM
    with jwcrypto; both parse the key again for every signature (about 20 ms each with
    cryptography's key checks). This one gives the parsed key and the known kid instead.
    """

    def __init__(self) -> None:
        kid, key, _pem = signing_key()
        self._senda_kid = kid
        self.set_tool_private_key(key)  # type: ignore[arg-type]  # PyJWT accepts key objects

    def get_kid(self) -> str:
        return self._senda_kid
