"""Per-production Ed25519 keys and the pack signature.

Keys. ``answerprint keys init --production P`` makes a key pair: the private key goes to the user's config
folder (``<config>/keys/<P>.ed25519.pem``, mode 0600) and never into the library; the public key goes to the
production's ``public_keys/<key id>.pem`` in the library, where every workstation verifying P's packs finds it.
A key id is the first 16 hex digits of SHA-256 over the raw 32-byte public key.

What is signed. The signature covers SHA-256 over the pack file's exact bytes with the signature's own
``metadata_props`` record cut out (``onnx_wire.without_metadata``), prefixed by a domain label. Nothing is
re-serialized, so the digest does not depend on the protobuf or onnx version that reads the file, and every
other byte is covered: graph, weights, opsets, and the manifest (which names the signing key). Signing
appends the signature record at the end of the file; one flipped byte anywhere else changes the digest, and a
flipped byte inside the signature record breaks the signature or its base64.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import PackError, TamperedPackError, UsageError
from ..paths import keys_dir
from . import onnx_wire
from .production import Production, check_production_id

SIGNATURE_KEY = "answerprint.signature"
_DOMAIN = b"answerprint.pack-signature/1\x00"


class MissingKeyError(PackError):
    """No private signing key for the production on this machine."""


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key's id: 16 hex digits of SHA-256 over its raw 32 bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    """The public key as PEM (SubjectPublicKeyInfo) text."""
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def private_key_path(production_id: str) -> Path:
    """Where this user's private key for ``production_id`` lives: ``<config>/keys/<id>.ed25519.pem``."""
    return keys_dir() / f"{check_production_id(production_id)}.ed25519.pem"


def create_production_key(production: Production) -> str:
    """Make an Ed25519 key pair for ``production``: private key to the user's keys folder (0600), public key
    into the production's library folder. Returns the new key id.

    Raises
    ------
    UsageError
        When this user already has a private key for the production (it is never overwritten).
    """
    target = private_key_path(production.id)
    if target.exists():
        raise UsageError("a signing key for this production already exists on this machine and is never "
                         "overwritten; move it away first if you really mean to replace it", target)
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(target.parent, 0o700)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return add_public_key(production, private_key.public_key())


def add_public_key(production: Production, public_key: Ed25519PublicKey) -> str:
    """Trust ``public_key`` for ``production``: write it to ``public_keys/<key id>.pem``; returns the key id."""
    identifier = key_id(public_key)
    production.public_keys_folder.mkdir(parents=True, exist_ok=True)
    (production.public_keys_folder / f"{identifier}.pem").write_text(public_key_pem(public_key), encoding="ascii")
    return identifier


def load_private_key(production_id: str) -> Ed25519PrivateKey:
    """This user's private signing key for ``production_id``.

    Raises
    ------
    MissingKeyError
        When there is none on this machine, or it is not an Ed25519 key.
    """
    path = private_key_path(production_id)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise MissingKeyError(f"no signing key for production {production_id} on this machine; run: "
                              f"answerprint keys init --production {production_id}", path) from None
    except (OSError, ValueError, TypeError) as error:
        raise MissingKeyError(f"unreadable signing key: {error}", path) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise MissingKeyError("not an Ed25519 private key", path)
    return key


def production_public_keys(production: Production) -> dict[str, Ed25519PublicKey]:
    """The production's trusted public keys by key id (unreadable or non-Ed25519 files are skipped)."""
    keys: dict[str, Ed25519PublicKey] = {}
    folder = production.public_keys_folder
    if not folder.is_dir():
        return keys
    for path in sorted(folder.glob("*.pem")):
        try:
            key = serialization.load_pem_public_key(path.read_bytes())
        except (OSError, ValueError, TypeError):
            continue
        if isinstance(key, Ed25519PublicKey):
            keys[key_id(key)] = key
    return keys


def signed_digest(model: bytes) -> bytes:
    """The 32-byte digest a pack's signature covers (see module docstring).

    Raises
    ------
    onnx_wire.WireFormatError
        When the bytes are not a well-formed ONNX protobuf.
    """
    return hashlib.sha256(_DOMAIN + onnx_wire.without_metadata(model, frozenset({SIGNATURE_KEY}))).digest()


def append_signature(model: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """Sign ``model`` as it is (its manifest must already name this key) and return it with the signature.

    Any previous signature record is replaced.
    """
    signature = private_key.sign(signed_digest(model))
    return onnx_wire.with_metadata(model, {SIGNATURE_KEY: base64.b64encode(signature).decode("ascii")})


def read_signature(model: bytes, where: str | None = None) -> bytes | None:
    """The pack's 64-byte signature, or None when it carries none.

    Raises
    ------
    TamperedPackError
        When there are several signature records, or the record is not base64 of 64 bytes.
    """
    values = [entry.value for entry in onnx_wire.metadata_entries(model) if entry.key == SIGNATURE_KEY]
    if not values:
        return None
    if len(values) > 1:
        raise TamperedPackError("the pack carries more than one signature record", where)
    try:
        signature = base64.b64decode(values[0], validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    if len(signature) != 64:
        raise TamperedPackError("the pack's signature record is damaged (not a 64-byte Ed25519 signature)", where)
    return signature


def signature_is_valid(model: bytes, signature: bytes, public_key: Ed25519PublicKey) -> bool:
    """True when ``signature`` over ``model``'s signed digest verifies with ``public_key``."""
    try:
        public_key.verify(signature, signed_digest(model))
    except InvalidSignature:
        return False
    return True
