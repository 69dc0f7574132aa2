"""Signed provenance inside the files handed to other hosts: who made them, from which pack, trained on what.

An exported ONNX graph carries a JSON record under ``metadata_props["answerprint.export"]`` (schema
``answerprint.host-export/1``): the host, the precision, the source pack (id, SHA-256, signing key), every
parameter as baked, the tensors' layout and colour space, what stays in answerprint, the parity measured against
answerprint's own render, the source pack's signed training provenance (clips with content hashes, approved
roots, who trained it where) and the software versions. The file is then signed with the production's key
exactly as a pack is (``core.packs.signing``: Ed25519 over the file's bytes without the signature record), so
one changed byte of graph, weights or record breaks the signature.

A TorchScript module (Nuke) carries the same record as the extra file ``answerprint.export.json``, with
``weights_sha256`` (SHA-256 over every parameter and buffer, in ``state_dict`` order, as little-endian bytes)
and the Ed25519 signature of the record's bytes as ``answerprint.signature``.
"""
from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from answerprint.core.errors import TamperedPackError
from answerprint.core.packs import key_id, load_production, production_public_keys
from answerprint.core.packs import onnx_wire
from answerprint.core.packs.signing import append_signature, read_signature, signature_is_valid

EXPORT_KEY = "answerprint.export"
SCHEMA = "answerprint.host-export/1"
TORCHSCRIPT_RECORD = "answerprint.export.json"
TORCHSCRIPT_SIGNATURE = "answerprint.signature"


def signed_onnx(model: bytes, record: Mapping[str, Any], private_key: Ed25519PrivateKey) -> bytes:
    """``model`` with ``record`` (plus ``schema`` and the key id) in its metadata, signed."""
    text = json.dumps(dict(record, schema=SCHEMA, key_id=key_id(private_key.public_key())), sort_keys=True)
    return append_signature(onnx_wire.with_metadata(model, {EXPORT_KEY: text}), private_key)


def weights_digest(state: Mapping[str, Any]) -> str:
    """SHA-256 over a module's ``state_dict`` tensors (little-endian bytes, in order), hex."""
    digest = hashlib.sha256()
    for name, tensor in state.items():
        digest.update(name.encode())
        array = tensor.detach().cpu().contiguous().numpy()
        digest.update(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())
    return digest.hexdigest()


def torchscript_extra_files(record: Mapping[str, Any], state: Mapping[str, Any],
                            private_key: Ed25519PrivateKey) -> dict[str, bytes]:
    """The signed record of a TorchScript module, as ``torch.jit.save``'s ``_extra_files``."""
    text = json.dumps(dict(record, schema=SCHEMA, key_id=key_id(private_key.public_key()),
                           weights_sha256=weights_digest(state)), sort_keys=True).encode()
    return {TORCHSCRIPT_RECORD: text, TORCHSCRIPT_SIGNATURE: base64.b64encode(private_key.sign(text))}


def _production_key(record: Mapping[str, Any], library: str | None, where: str) -> Any:
    keys = production_public_keys(load_production(record["source_pack"]["production_id"], library))
    key = keys.get(record.get("key_id"))
    if key is None:
        raise TamperedPackError(f"signed by key {record.get('key_id')}, which is not a key of production "
                                f"{record['source_pack']['production_id']}", where)
    return key


def verify_onnx(model: bytes, where: str, library: str | None = None) -> dict[str, Any]:
    """The export record of an exported ONNX file, after checking its signature with the production's keys.

    Raises
    ------
    TamperedPackError
        When the file carries no record or signature, or the signature does not hold.
    """
    texts = [e.value for e in onnx_wire.metadata_entries(model) if e.key == EXPORT_KEY]
    signature = read_signature(model, where)
    if len(texts) != 1 or signature is None:
        raise TamperedPackError("not a signed answerprint host export", where)
    record = json.loads(texts[0])
    if not signature_is_valid(model, signature, _production_key(record, library, where)):
        raise TamperedPackError("the export's signature does not match its contents", where)
    return record


def verify_torchscript(extra_files: Mapping[str, bytes], state: Mapping[str, Any], where: str,
                       library: str | None = None) -> dict[str, Any]:
    """The export record of a TorchScript module (``torch.jit.load(..., _extra_files=...)``), checked.

    Raises
    ------
    TamperedPackError
        When the record's signature or the weights' digest does not hold.
    """
    text = extra_files.get(TORCHSCRIPT_RECORD) or b""
    record = json.loads(text or b"{}")
    if not record:
        raise TamperedPackError("not a signed answerprint host export", where)
    try:
        _production_key(record, library, where).verify(base64.b64decode(extra_files[TORCHSCRIPT_SIGNATURE]), text)
    except (InvalidSignature, KeyError, ValueError):
        raise TamperedPackError("the export's signature does not match its record", where) from None
    if record["weights_sha256"] != weights_digest(state):
        raise TamperedPackError("the module's weights are not the ones its record vouches for", where)
    return record
