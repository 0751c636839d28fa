"""RSA keys for test platforms, generated once per test session (real keys, real signatures)."""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lti_tool.lti.keys import public_jwk


class TestKey:
    """A platform's signing key: private PEM for signing, public JWK for its key set."""

    __test__ = False  # not a test class

    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.pem = self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self.public_pem = (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        self.jwk = public_jwk(self.private.public_key())
        self.kid = self.jwk["kid"]

    def key_set(self) -> dict[str, list[dict[str, object]]]:
        return {"keys": [self.jwk]}


@lru_cache(maxsize=8)
def platform_key(name: str) -> TestKey:
    return TestKey()
