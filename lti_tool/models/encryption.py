"""Sensitive columns encrypted at rest, with keys from configuration and rotation.

Two kinds of column, both built on the `cryptography` package:

- `Encrypted` / `EncryptedJson`: what she writes (reflections, worksheets, notes, contact
  details). Fernet (AES-128-CBC + HMAC-SHA256, a random IV per value) through `MultiFernet`:
  the first key encrypts, every key decrypts, `rotate` re-encrypts with the first.
- `Sealed`: short coded values that reports count (region, commune, migrant, indigenous).
  AES-SIV, deterministic: the same value under the same key gives the same ciphertext, so the
  database can `GROUP BY` and `COUNT` without ever seeing the value, and a report decrypts only
  the few distinct groups. Equality is all it reveals. After a key rotation, a value may exist
  under two ciphertexts until `flask privacy reencrypt` runs; reports merge groups by plaintext.

Each configured key (`[privacy] encryption_keys`, newest first) is a random secret from which both
keys are derived (HKDF-SHA256 with distinct labels). Without configured keys, a key is generated
once into the instance folder (one machine, development); production sets them in the
environment.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import String, TypeDecorator

SEALED_PREFIX = "s1:"


class EncryptionKeyError(ValueError):
    """A configured key is not valid."""


def new_key() -> str:
    """A fresh key for `[privacy] encryption_keys`."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _derive(secret: bytes, label: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=label).derive(secret)


class KeyRing:
    """Every configured key, newest first; the first encrypts."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise EncryptionKeyError("at least one encryption key is needed")
        secrets_ = []
        for key in keys:
            try:
                raw = base64.urlsafe_b64decode(key.encode())
            except (ValueError, TypeError) as exc:
                raise EncryptionKeyError("an encryption key is not base64") from exc
            if len(raw) < 32:
                raise EncryptionKeyError("an encryption key must hold at least 32 random bytes")
            secrets_.append(raw)
        self._fernet = MultiFernet(
            [Fernet(base64.urlsafe_b64encode(_derive(s, b"senda fernet", 32))) for s in secrets_]
        )
        self._sivs = [AESSIV(_derive(s, b"senda siv", 64)) for s in secrets_]

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise EncryptionKeyError(
                "a value cannot be decrypted with the configured keys"
            ) from exc

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()

    def seal(self, plain: str) -> str:
        sealed = self._sivs[0].encrypt(plain.encode(), None)
        return SEALED_PREFIX + base64.urlsafe_b64encode(sealed).decode()

    def unseal(self, token: str) -> str:
        raw = base64.urlsafe_b64decode(token.removeprefix(SEALED_PREFIX).encode())
        for siv in self._sivs:
            try:
                return siv.decrypt(raw, None).decode()
            except InvalidTag:  # AES-SIV's refusal (Fernet's is InvalidToken): try the next key
                continue
        raise EncryptionKeyError("a sealed value cannot be opened with the configured keys")

    def reseal(self, token: str) -> str:
        return self.seal(self.unseal(token))


def keys_for(configured: Sequence[str], instance_path: str) -> list[str]:
    """The configured keys, or one generated once into the instance folder."""
    if configured:
        return list(configured)
    path = Path(instance_path) / "encryption_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_key(), encoding="utf-8")
        path.chmod(0o600)
    return [path.read_text(encoding="utf-8").strip()]


def keyring() -> KeyRing:
    found: KeyRing = current_app.extensions["senda_keyring"]
    return found


class Encrypted(TypeDecorator[str]):
    """Text encrypted with a random IV (Fernet): unreadable in the database and in backups."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring().decrypt(value)


class EncryptedJson(TypeDecorator[Any]):
    """A JSON document encrypted as a whole (what she wrote in an activity)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring().encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(keyring().decrypt(value))


class Sealed(TypeDecorator[str]):
    """A short coded value, encrypted deterministically so that SQL can group and count it."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring().seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring().unseal(value)
