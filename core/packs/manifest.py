"""The pack manifest (schema ``answerprint.pack/2``): identity, I/O, parameters, provenance, parity, signing.

The manifest is JSON stored in the pack's ONNX ``metadata_props`` under ``answerprint.manifest`` and is
covered by the signature. It is validated against ``pack_manifest.schema.json`` (shipped with this package)
and then for consistency (every parameter bound exactly once, bound tensors exist, names unique).

Versioning: the ``schema`` label is ``answerprint.pack/<major>``. A pack of a newer major version is refused
with a message naming the version it needs; this answerprint reads major ``SCHEMA_MAJOR``, and upgrades older
majors on read (the stored, signed bytes are never changed):

- 1 → 2: schema 2 adds the binding ``{"via": "effect"}`` (a parameter the effect applies outside the graph).
  Schema 1 could only say that as ``baked`` at ``null``, which means nothing else (no graph bakes a null), so
  those bindings become ``effect``.
"""
from __future__ import annotations

import copy
import functools
import json
import re
from datetime import datetime, timezone
from importlib.resources import files
from typing import Any, Mapping

import jsonschema

from .. import __version__
from ..errors import ManifestVersionError, PackError
from ..params import ParamSchema
from .spec import IOSpec, PackSpec, ParamBinding

SCHEMA_MAJOR = 2
SCHEMA_LABEL = f"answerprint.pack/{SCHEMA_MAJOR}"
#: Largest manifest accepted, in bytes of JSON.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
_LABEL = re.compile(r"^answerprint\.pack/(\d{1,6})$")


def utc_now() -> str:
    """The current time as an ISO 8601 UTC timestamp with seconds (``2026-11-21T17:50:00Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def version_key(version: str) -> tuple[int, ...]:
    """Sort key of a dotted-integer pack version (``"1.10"`` sorts after ``"1.9"``)."""
    return tuple(int(part) for part in version.split("."))


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in a manifest")


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(files(__package__).joinpath("pack_manifest.schema.json").read_text("utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _schema_major(data: Any, where: str | None) -> int:
    """The major version of a decoded manifest's schema label, refusing what this answerprint cannot read."""
    if not isinstance(data, dict):
        raise PackError("the manifest is not a JSON object", where)
    label = data.get("schema")
    match = _LABEL.match(label) if isinstance(label, str) else None
    if match is None:
        raise PackError(f"the manifest's schema label {label!r} is not an answerprint pack schema", where)
    major = int(match.group(1))
    if major > SCHEMA_MAJOR:
        raise ManifestVersionError(f"this pack uses pack schema {label}; answerprint {__version__} reads "
                                   f"{SCHEMA_LABEL} only: install a newer answerprint (one that reads pack "
                                   f"schema {major})", where)
    if major not in _UPGRADES and major != SCHEMA_MAJOR:
        raise ManifestVersionError(f"pack schema {label} is no longer supported; re-export the pack with this "
                                   "answerprint", where)
    return major


def _upgrade_from_1(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 → 2: bindings ``baked`` at null become ``effect`` (see the module docstring)."""
    parameters = data.get("parameters")
    if isinstance(parameters, dict) and isinstance(parameters.get("bindings"), list):
        parameters["bindings"] = [
            {"param": b["param"], "via": "effect"}
            if isinstance(b, dict) and b.get("via") == "baked" and b.get("value", 0) is None and "param" in b else b
            for b in parameters["bindings"]]
    data["schema"] = "answerprint.pack/2"
    return data


#: Upgrade of a decoded manifest from major version N to N + 1, by N.
_UPGRADES = {1: _upgrade_from_1}


def _check_consistency(data: dict[str, Any], where: str | None) -> None:
    io = data["io"]
    for side in ("inputs", "outputs"):
        names = [t["name"] for t in io[side]]
        if len(set(names)) != len(names):
            raise PackError(f"the manifest lists duplicate {side[:-1]} tensor names: {names}", where)
    try:
        params = ParamSchema.from_json(data["parameters"]["schema"])
    except (TypeError, ValueError) as error:
        raise PackError(f"the manifest's parameter schema is invalid: {error}", where) from None
    bindings = [ParamBinding.from_json(b) for b in data["parameters"]["bindings"]]
    bound = [b.param for b in bindings]
    if sorted(bound) != sorted(params.names):
        raise PackError(f"every parameter needs exactly one binding: parameters {params.names}, "
                        f"bindings {bound}", where)
    param_inputs = {t["name"] for t in io["inputs"] if t["role"] == "param"}
    fed = [b.tensor for b in bindings if b.via == "input"]
    if sorted(fed) != sorted(param_inputs):
        raise PackError(f"parameter input tensors {sorted(param_inputs)} do not match the bindings' tensors "
                        f"{sorted(t or '' for t in fed)}", where)
    if io["temporal_window"] % 2 == 0:
        raise PackError(f"the temporal window must be odd (centred on the current frame), not "
                        f"{io['temporal_window']}", where)
    if data.get("variants") and data["identity"]["precision"] != "fp32":
        raise PackError("only an fp32 pack may list precision variants", where)


class Manifest:
    """A validated pack manifest. Read-only: ``updated`` returns a new, re-validated manifest.

    Build one with ``Manifest.create`` (export side) or ``Manifest.parse`` (load side).
    """

    __slots__ = ("_data", "_stored_major")

    def __init__(self, data: Mapping[str, Any], where: str | None = None):
        """Validate ``data`` (a decoded manifest) and wrap a private copy of it.

        Data of an older schema version are upgraded first (module docstring).

        Raises
        ------
        PackError
            When the schema label is unknown or newer, the data violate the JSON schema, or the parts
            contradict each other.
        """
        try:
            data = json.loads(json.dumps(data, allow_nan=False))
        except (TypeError, ValueError, RecursionError) as error:
            raise PackError(f"the manifest is not plain JSON data: {str(error)[:200]}", where) from None
        major = self._stored_major = _schema_major(data, where)
        while major < SCHEMA_MAJOR:
            data = _UPGRADES[major](data)
            major += 1
        try:
            error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
        except RecursionError:
            raise PackError("the manifest is nested too deeply", where) from None
        if error is not None:
            location = "/".join(map(str, error.absolute_path)) or "(top level)"
            raise PackError(f"the manifest is not valid: at {location}: {error.message[:300]}", where)
        _check_consistency(data, where)
        self._data = data

    @classmethod
    def parse(cls, text: str | bytes, where: str | None = None) -> "Manifest":
        """Decode and validate manifest JSON.

        Raises
        ------
        PackError
            When the text is not JSON, too large, or not a valid manifest.
        """
        if len(text) > MAX_MANIFEST_BYTES:
            raise PackError(f"the manifest is larger than {MAX_MANIFEST_BYTES} bytes", where)
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:
            raise PackError(f"the manifest is not JSON: {str(error)[:200]}", where) from None
        return cls(data, where)

    @classmethod
    def create(cls, spec: PackSpec, *, production_id: str, production_name: str, provenance: Mapping[str, Any],
               parity: Mapping[str, Any], software: Mapping[str, str], opset: int, precision: str = "fp32",
               created: str | None = None) -> "Manifest":
        """Assemble and validate an unsigned manifest (``signing`` null) for a freshly exported graph.

        Parameters
        ----------
        provenance : mapping
            The ``provenance`` section (see ``answerprint.core.packs.provenance.build_provenance``).
        parity : mapping
            ``max_abs_diff``, ``tolerance``, ``reference``, ``runtime``, ``inputs`` measured at export.
        software : mapping
            Versions of ``answerprint``, ``torch``, ``onnx``, ``onnxruntime`` (at least).
        opset : int
            The default-domain opset of the graph.

        Raises
        ------
        PackError
            When the result is not a valid manifest.
        """
        identity: dict[str, Any] = {
            "production": {"id": production_id, "name": production_name}, "effect": spec.effect,
            "name": spec.name, "version": spec.version, "precision": precision, "created": created or utc_now(),
            "software": dict(software), "opset": opset,
        }
        if spec.description:
            identity["description"] = spec.description
        return cls({
            "schema": SCHEMA_LABEL, "identity": identity, "io": spec.io.to_json(),
            "parameters": {"schema": spec.params.to_json(), "bindings": [b.to_json() for b in spec.bindings]},
            "provenance": dict(provenance), "parity": dict(parity), "signing": None,
            "effect_data": copy.deepcopy(dict(spec.effect_data)),
        })

    @property
    def stored_schema(self) -> str:
        """The schema label the manifest was stored with (older ones are upgraded on read)."""
        return f"answerprint.pack/{self._stored_major}"

    def updated(self, changes: Mapping[str, Any]) -> "Manifest":
        """A copy with values replaced at dotted paths, e.g. ``{"identity.precision": "fp16"}``; re-validated.

        Raises
        ------
        PackError
            When the result is not a valid manifest.
        """
        data = copy.deepcopy(self._data)
        for path, value in changes.items():
            *parents, leaf = path.split(".")
            node = data
            for key in parents:
                node = node[key]
            node[leaf] = copy.deepcopy(value)
        return Manifest(data)

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the manifest as plain JSON data."""
        return copy.deepcopy(self._data)

    def to_json(self) -> str:
        """Canonical JSON text (sorted keys, no insignificant spaces, UTF-8 kept)."""
        return json.dumps(self._data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Manifest) and other._data == self._data

    def __repr__(self) -> str:
        return f"Manifest({self.pack_id!r}, {self.precision})"

    @property
    def production_id(self) -> str:
        return self._data["identity"]["production"]["id"]

    @property
    def production_name(self) -> str:
        return self._data["identity"]["production"]["name"]

    @property
    def effect(self) -> str:
        return self._data["identity"]["effect"]

    @property
    def name(self) -> str:
        return self._data["identity"]["name"]

    @property
    def version(self) -> str:
        return self._data["identity"]["version"]

    @property
    def precision(self) -> str:
        return self._data["identity"]["precision"]

    @property
    def created(self) -> str:
        return self._data["identity"]["created"]

    @property
    def effect_data(self) -> dict[str, Any]:
        """The effect's own signed data (noise model, defect map...); empty when the effect needs none."""
        return copy.deepcopy(self._data.get("effect_data", {}))

    @property
    def opset(self) -> int:
        return self._data["identity"]["opset"]

    @property
    def software(self) -> dict[str, str]:
        return dict(self._data["identity"]["software"])

    @property
    def pack_id(self) -> str:
        """``<production>/<effect>/<name>@<version>``, the pack's name in logs and render sidecars."""
        return f"{self.production_id}/{self.effect}/{self.name}@{self.version}"

    @property
    def io(self) -> IOSpec:
        return IOSpec.from_json(self._data["io"])

    @property
    def params(self) -> ParamSchema:
        return ParamSchema.from_json(self._data["parameters"]["schema"])

    @property
    def bindings(self) -> tuple[ParamBinding, ...]:
        return tuple(ParamBinding.from_json(b) for b in self._data["parameters"]["bindings"])

    @property
    def provenance(self) -> dict[str, Any]:
        return copy.deepcopy(self._data["provenance"])

    @property
    def parity(self) -> dict[str, Any]:
        return dict(self._data["parity"])

    @property
    def variants(self) -> dict[str, dict[str, str]]:
        return copy.deepcopy(self._data.get("variants", {}))

    @property
    def signing_key_id(self) -> str | None:
        signing = self._data["signing"]
        return None if signing is None else signing["key_id"]
