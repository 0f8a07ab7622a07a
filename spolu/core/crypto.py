"""Encryption at rest for free text about people: a database dump alone does not reveal it.

Values are Fernet tokens (AES-128-CBC with HMAC-SHA256, from the `cryptography` package) made
with the first key of SPOLU_FIELD_KEY; every listed key can decrypt, so keys are rotated by
putting a new key first, re-encrypting (`manage.py rotate_field_key`) and then dropping the old
key. Encrypted columns cannot be searched or sorted in SQL, by design.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "enc:"


@lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        # Development and tests only (settings refuse to start production without keys).
        derived = hashlib.sha256(("spolu-field-key:" + secret_key).encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "SPOLU_FIELD_KEY must hold Fernet keys (32 url-safe base64-encoded bytes each)"
        ) from exc


def fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.SPOLU_FIELD_KEY), settings.SECRET_KEY)


def encrypt(text: str) -> str:
    return PREFIX + fernet().encrypt(text.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("not an encrypted value")
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An encrypted value cannot be read with the keys in SPOLU_FIELD_KEY: "
            "was a key removed before `rotate_field_key` ran?"
        ) from exc


def rotate(stored: str) -> str:
    """The same plaintext encrypted with the current first key."""
    if not stored:
        return stored
    return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode()).decode()


def generate_key() -> str:
    return Fernet.generate_key().decode()


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; Python code sees the plaintext.

    An empty value stays empty so that "nothing was written" needs no decryption.
    """

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def value_to_string(self, obj):
        # Serialisers and the audit log never get the plaintext.
        return "***" if self.value_from_object(obj) else ""


def encrypted_fields(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
