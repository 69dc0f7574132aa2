"""Model packs: signed, self-contained ``.onnx`` files carrying a manifest, kept in per-production libraries.

Public surface: ``load_pack`` (every check before use), ``open_pack_for_job`` (what the render engine calls),
the library (``install_pack``, ``list_packs``, ``find_pack``), productions and their approved media, keys and
signing, and the manifest types the exporter fills in. See each module's docstring for the details.

The names below are imported from their modules when first used (as ``answerprint.core.color`` does), so an
effect declaring its parameter bindings (``spec``) loads neither jsonschema nor cryptography.
"""
from __future__ import annotations

from ..lazy import lazy_attributes

_WHERE = {
    "LibraryEntry": "library", "find_pack": "library", "install_pack": "library", "list_packs": "library",
    "open_pack_for_job": "library", "pack_folder": "library",
    "SCHEMA_LABEL": "manifest", "Manifest": "manifest", "ManifestVersionError": "manifest",
    "MANIFEST_KEY": "pack", "Pack": "pack", "VerificationSkippedWarning": "pack", "embed_manifest": "pack",
    "load_pack": "pack", "read_manifest": "pack", "read_model_bytes": "pack", "sign_model": "pack",
    "write_pack": "pack",
    "MediaOverride": "production", "Production": "production", "UnapprovedMediaError": "production",
    "UnknownProductionError": "production", "add_approved_media_roots": "production",
    "init_production": "production", "list_productions": "production", "load_production": "production",
    "production_for_training": "production",
    "SourceClip": "provenance", "build_provenance": "provenance", "record_source": "provenance",
    "SafetyLimits": "safety",
    "MissingKeyError": "signing", "create_production_key": "signing", "key_id": "signing",
    "load_private_key": "signing", "production_public_keys": "signing",
    "IOSpec": "spec", "PackSpec": "spec", "ParamBinding": "spec", "TensorSpec": "spec",
}

__getattr__ = lazy_attributes(__name__, _WHERE)

__all__ = sorted(_WHERE)
