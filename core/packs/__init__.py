"""Model packs: signed, self-contained ``.onnx`` files carrying a manifest, kept in per-production libraries.

Public surface: ``load_pack`` (every check before use), ``open_pack_for_job`` (what the render engine calls),
the library (``install_pack``, ``list_packs``, ``find_pack``), productions and their approved media, keys and
signing, and the manifest types the exporter fills in. See each module's docstring for the details.
"""
from .library import LibraryEntry, find_pack, install_pack, list_packs, open_pack_for_job, pack_folder
from .manifest import SCHEMA_LABEL, Manifest, ManifestVersionError
from .pack import (MANIFEST_KEY, Pack, VerificationSkippedWarning, embed_manifest, load_pack, read_manifest,
                   read_model_bytes, sign_model, write_pack)
from .production import (MediaOverride, Production, UnapprovedMediaError, UnknownProductionError,
                         add_approved_media_roots, init_production, list_productions, load_production,
                         production_for_training)
from .provenance import SourceClip, build_provenance, record_source
from .safety import SafetyLimits
from .signing import MissingKeyError, create_production_key, key_id, load_private_key, production_public_keys
from .spec import IOSpec, PackSpec, ParamBinding, TensorSpec

__all__ = [
    "IOSpec", "LibraryEntry", "MANIFEST_KEY", "Manifest", "ManifestVersionError", "MediaOverride",
    "MissingKeyError", "Pack", "PackSpec", "ParamBinding", "Production", "SCHEMA_LABEL", "SafetyLimits",
    "SourceClip", "TensorSpec", "UnapprovedMediaError", "UnknownProductionError", "production_for_training", "VerificationSkippedWarning",
    "add_approved_media_roots", "build_provenance", "create_production_key", "embed_manifest", "find_pack",
    "init_production", "install_pack", "key_id", "list_packs", "list_productions", "load_pack",
    "load_private_key", "load_production", "open_pack_for_job", "pack_folder", "production_public_keys",
    "read_manifest", "read_model_bytes", "record_source", "sign_model", "write_pack",
]
