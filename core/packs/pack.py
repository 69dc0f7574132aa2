"""A model pack: one self-contained, signed ``.onnx`` file whose metadata carries its manifest.

``load_pack`` is the only way answerprint opens a pack for use. It checks, in order, and refuses with a
one-line message at the first failure:

1. the file is readable and not over the size cap;
2. safety: no external data, no absurd or inconsistent tensor sizes, well-formed protobuf;
3. a manifest is present and valid (schema ``answerprint.pack/2``, older ones upgraded on read); in a signed pack
   a missing or invalid manifest means damage after signing (``TamperedPackError``), since only valid manifests
   are signed;
4. the pack is for the job's production (``ForeignPackError``; checked before the signature so that the
   message names the real problem even where the other production's keys are not in this library);
5. it is signed (``UnsignedPackError``);
6. its signing key is one of the production's public keys (``ForeignPackError``, naming the key and, when
   the library knows it, the production that owns it);
7. the signature verifies (``TamperedPackError``);
8. the graph's inputs and outputs match the manifest (``UnsafePackError``).

Developer override: ``allow_unsigned=True`` (or ``ANSWERPRINT_DEVELOPER_SKIP_VERIFY=1``) turns failures of
checks 4-7 into loud ``VerificationSkippedWarning`` warnings that name each skipped check. Checks 1-3 and 8
protect the machine and are never skipped.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..errors import ForeignPackError, PackError, TamperedPackError, UnsafePackError, UnsignedPackError
from . import onnx_wire, safety, signing
from .manifest import Manifest, ManifestVersionError
from .production import Production, UnknownProductionError, list_productions, load_production

MANIFEST_KEY = "answerprint.manifest"
SKIP_VERIFY_ENV = "ANSWERPRINT_DEVELOPER_SKIP_VERIFY"


class VerificationSkippedWarning(UserWarning):
    """A pack was loaded under the developer override although a signature or production check failed."""


@dataclass(frozen=True)
class Pack:
    """A pack that passed ``load_pack``.

    Attributes
    ----------
    path : str
        Absolute path of the ``.onnx`` file.
    manifest : Manifest
        Its validated manifest.
    sha256 : str
        Hex SHA-256 of the whole file as loaded.
    model_bytes : bytes
        The file's bytes, for creating a session without reading the file again.
    signed_by : str or None
        Id of the key whose signature verified; None when the signature was not verified (override).
    skipped_checks : tuple of str
        Checks that failed but were skipped under the developer override (empty for a verified pack).
    """

    path: str
    manifest: Manifest
    sha256: str
    model_bytes: bytes = field(repr=False)
    signed_by: str | None
    skipped_checks: tuple[str, ...] = ()

    @property
    def pack_id(self) -> str:
        """``<production>/<effect>/<name>@<version>``."""
        return self.manifest.pack_id

    @property
    def verified(self) -> bool:
        return not self.skipped_checks


def skip_verify_from_environment() -> bool:
    """True when ``ANSWERPRINT_DEVELOPER_SKIP_VERIFY`` is set to 1/true/yes."""
    return os.environ.get(SKIP_VERIFY_ENV, "").strip().lower() in {"1", "true", "yes"}


def read_model_bytes(path: str | os.PathLike, limits: safety.SafetyLimits = safety.DEFAULT_LIMITS) -> bytes:
    """Read a pack file, refusing it before reading when it is over the size cap.

    Raises
    ------
    PackError
        When the file cannot be read.
    UnsafePackError
        When it is larger than ``limits.max_file_bytes``.
    """
    where = os.fspath(path)
    try:
        size = os.stat(where).st_size
        if size > limits.max_file_bytes:
            raise UnsafePackError(f"the pack is {size} bytes, over the {limits.max_file_bytes}-byte cap", where)
        with open(where, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise PackError(f"cannot read the pack: {error.strerror or error}", where) from None


def read_manifest(model: bytes, where: str | None = None) -> Manifest:
    """The manifest embedded in a pack's bytes (validated, not verified).

    Raises
    ------
    PackError
        When there is none, or it is invalid (``ManifestVersionError`` for an unknown schema version).
    TamperedPackError
        When the bytes are not a well-formed ONNX protobuf, or the pack is signed but its manifest is missing,
        duplicated or invalid (a signer only ever signs a valid manifest, so it was damaged after signing).
    """
    try:
        entries = onnx_wire.metadata_entries(model)
    except onnx_wire.WireFormatError as error:
        raise safety.corrupt(error, where) from None
    texts = [e.value for e in entries if e.key == MANIFEST_KEY]
    signed = any(e.key == signing.SIGNATURE_KEY for e in entries)
    if len(texts) > 1 or (signed and not texts):
        raise TamperedPackError(f"the pack is signed but carries {len(texts)} manifests; it was damaged or "
                                "altered after signing", where)
    if not texts:
        raise PackError("this .onnx file carries no answerprint manifest; it is not a model pack", where)
    try:
        return Manifest.parse(texts[0], where)
    except ManifestVersionError:
        raise
    except PackError as error:
        if signed:
            raise TamperedPackError(f"the pack is signed but its manifest is damaged ({error.what}); it was "
                                    "altered after signing", where) from None
        raise


def embed_manifest(model: bytes, manifest: Manifest) -> bytes:
    """``model`` with ``manifest`` stored in its metadata (replacing any previous one), unsigned."""
    stripped = onnx_wire.without_metadata(model, frozenset({signing.SIGNATURE_KEY}))
    return onnx_wire.with_metadata(stripped, {MANIFEST_KEY: manifest.to_json()})


def sign_model(model: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """Record ``private_key``'s id in the embedded manifest, then sign; returns the signed pack bytes.

    Raises
    ------
    PackError
        When ``model`` carries no valid manifest.
    """
    manifest = read_manifest(model).updated(
        {"signing": {"algorithm": "ed25519", "key_id": signing.key_id(private_key.public_key())}})
    return signing.append_signature(embed_manifest(model, manifest), private_key)


def _key_owner(identifier: str, library: str | os.PathLike | None) -> str | None:
    for other in list_productions(library):
        if identifier in signing.production_public_keys(other):
            return other.id
    return None


def _check_production(manifest: Manifest, job_production: str | None, where: str) -> None:
    """Check 4: the pack is for the job's production."""
    if job_production is not None and manifest.production_id != job_production:
        raise ForeignPackError(f"made for production {manifest.production_id} ({manifest.production_name}); "
                               f"this job belongs to production {job_production}", where)


def _check_signature(model: bytes, manifest: Manifest, library: str | os.PathLike | None, where: str) -> str:
    """Checks 5-7: signed, by a key of the pack's production, and the signature verifies; returns the key id."""
    signature = signing.read_signature(model, where)
    if signature is None and manifest.signing_key_id is not None:
        raise TamperedPackError(f"the manifest says key {manifest.signing_key_id} signed the pack but the "
                                "signature is missing: it was stripped or damaged", where)
    if signature is None:
        raise UnsignedPackError("the pack is unsigned; only packs signed with the production's key may be used",
                                where)
    identifier = manifest.signing_key_id
    if identifier is None:
        raise TamperedPackError("the pack carries a signature but its manifest names no signing key", where)
    production: Production = load_production(manifest.production_id, library)
    trusted = signing.production_public_keys(production)
    if identifier not in trusted:
        owner = _key_owner(identifier, library)
        owned = f" (a key of production {owner})" if owner else ""
        raise ForeignPackError(f"signed by key {identifier}{owned}, which is not a key of production "
                               f"{production.id}", where)
    if not signing.signature_is_valid(model, signature, trusted[identifier]):
        raise TamperedPackError("the pack's bytes do not match its signature: it was modified after signing",
                                where)
    return identifier


_VERIFICATION_ERRORS = (ForeignPackError, UnsignedPackError, TamperedPackError, UnknownProductionError)


def load_pack(path: str | os.PathLike, production: str | None = None, *, allow_unsigned: bool | None = None,
              library: str | os.PathLike | None = None,
              limits: safety.SafetyLimits = safety.DEFAULT_LIMITS) -> Pack:
    """Open, check and verify a pack (see the module docstring for the checks and their order).

    Parameters
    ----------
    path : path
        The ``.onnx`` pack file.
    production : str, optional
        The production the job belongs to; None accepts the production the pack names, still verified
        against that production's public keys.
    allow_unsigned : bool, optional
        Developer override (see module docstring); None reads ``ANSWERPRINT_DEVELOPER_SKIP_VERIFY``.
    library : path, optional
        Model library holding the productions' public keys; default ``paths.library_root()``.
    limits : SafetyLimits
        Size caps.

    Raises
    ------
    PackError
        Or its subclasses ``UnsignedPackError``, ``TamperedPackError``, ``ForeignPackError``,
        ``UnsafePackError``, ``UnknownProductionError``: the first check that failed, in one line.
    """
    where = os.path.abspath(os.fspath(path))
    model = read_model_bytes(where, limits)
    safety.check_tensors(model, where, limits)
    manifest = read_manifest(model, where)
    override = skip_verify_from_environment() if allow_unsigned is None else allow_unsigned
    failures: list[PackError] = []
    try:
        _check_production(manifest, production, where)
    except _VERIFICATION_ERRORS as error:
        failures.append(error)
    signed_by: str | None = None
    if override or not failures:
        try:
            signed_by = _check_signature(model, manifest, library, where)
        except _VERIFICATION_ERRORS as error:
            failures.append(error)
    if failures and not override:
        raise failures[0]
    skipped = tuple(f"{type(error).__name__}: {error.what}" for error in failures)
    if skipped:
        warnings.warn(f"DEVELOPER OVERRIDE: loading {where} ({manifest.pack_id}) WITHOUT VERIFICATION; "
                      f"skipped failed checks: {' | '.join(skipped)}. Never deliver work rendered this way.",
                      VerificationSkippedWarning, stacklevel=2)
    safety.check_graph_matches(model, manifest, where)
    return Pack(path=where, manifest=manifest, sha256=hashlib.sha256(model).hexdigest(), model_bytes=model,
                signed_by=signed_by, skipped_checks=skipped)


def write_pack(model: bytes, path: str | os.PathLike) -> Path:
    """Write pack bytes atomically (a temporary file renamed into place); returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".partial")
    temporary.write_bytes(model)
    os.replace(temporary, target)
    return target
