"""Model packs: signing, every refusal, approved media, the library, the manifest fuzzed, and the CLI.

Packs here wrap a tiny ONNX conv graph built with ``onnx.helper`` (no torch export: fast); the torch → pack
round trip lives in ``test_export.py``.
"""
from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from answerprint.core import cli
from answerprint.core.errors import (ForeignPackError, PackError, TamperedPackError, UnsafePackError,
                                     UnsignedPackError, UsageError)
from answerprint.core.packs import (MANIFEST_KEY, IOSpec, Manifest, ManifestVersionError, MediaOverride,
                                    PackSpec, TensorSpec, UnapprovedMediaError, VerificationSkippedWarning,
                                    build_provenance, create_production_key, embed_manifest, find_pack,
                                    init_production, install_pack, list_packs, load_pack, load_private_key,
                                    load_production, open_pack_for_job, record_source, sign_model, write_pack)
from answerprint.core.packs import ParamBinding, onnx_wire
from answerprint.core.params import Param, ParamSchema
from answerprint.core.packs.signing import SIGNATURE_KEY, add_public_key, append_signature, private_key_path
from answerprint.core.runtime import ModelSession

SPEC = PackSpec(effect="cleanup", name="grain", version="1",
                io=IOSpec(inputs=(TensorSpec("image"),), outputs=(TensorSpec("output"),), working_space="ACEScct"),
                description="grain cleanup for the night exteriors")
PARITY = {"max_abs_diff": 0.0, "tolerance": 1e-4, "reference": "numpy", "runtime": "onnxruntime CPU",
          "inputs": ["random 1x3x32x32"]}
SOFTWARE = {"answerprint": "test", "torch": "none", "onnx": onnx.__version__, "onnxruntime": "test"}


def conv_graph(input_name: str = "image", output_name: str = "output", channels: int = 3,
               extra_initializers: tuple = ()) -> onnx.ModelProto:
    """image + conv3x3(image): a tiny image model."""
    rng = np.random.default_rng(0)
    weights = numpy_helper.from_array(rng.normal(0, 0.1, (channels, channels, 3, 3)).astype(np.float32), "w")
    bias = numpy_helper.from_array(np.zeros(channels, np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("Conv", [input_name, "w", "b"], ["conv"], pads=[1, 1, 1, 1]),
         helper.make_node("Add", [input_name, "conv"], [output_name])], "tiny",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["N", channels, "H", "W"])],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["N", channels, "H", "W"])],
        initializer=[weights, bias, *extra_initializers])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)], producer_name="answerprint-tests")
    model.ir_version = 10
    return model


def manifest_for(production_id: str, clip: Path | None, spec: PackSpec = SPEC) -> Manifest:
    """A valid manifest; ``clip`` (under the production's approved roots) is its one training source."""
    production = load_production(production_id)
    sources = [record_source(production, clip, [(0, 47), (120, 200)])] if clip else []
    provenance = build_provenance(production, sources, training_config={"epochs": 3, "patch": 128},
                                  validation_metrics={"psnr_db": 41.5})
    return Manifest.create(spec, production_id=production.id, production_name=production.name,
                           provenance=provenance, parity=PARITY, software=SOFTWARE, opset=20)


def pack_bytes(manifest: Manifest, signer: str | None, model: bytes | None = None) -> bytes:
    """The tiny graph (or ``model``) with ``manifest``, signed with ``signer``'s key unless None."""
    packed = embed_manifest(model or conv_graph().SerializeToString(), manifest)
    return packed if signer is None else sign_model(packed, load_private_key(signer))


class Studio:
    """Two productions, cobalt and ember, each with this user's key, in a throwaway ANSWERPRINT_HOME."""

    def __init__(self, root: Path):
        self.root = root
        self.dailies = root / "dailies" / "cobalt"
        self.dailies.mkdir(parents=True)
        self.clip = self.dailies / "A001C003.mov"
        self.clip.write_bytes(b"not really a movie, but bytes to hash")
        self.cobalt = init_production("cobalt", "Cobalt Feature", (str(self.dailies),))
        self.ember = init_production("ember", "Ember Series")
        self.cobalt_key_id = create_production_key(self.cobalt)
        self.ember_key_id = create_production_key(self.ember)

    def manifest(self, production: str = "cobalt", spec: PackSpec = SPEC) -> Manifest:
        return manifest_for(production, self.clip if production == "cobalt" else None, spec)

    def pack_bytes(self, production: str = "cobalt", signer: str | None = "cobalt", model: bytes | None = None,
                   manifest: Manifest | None = None) -> bytes:
        return pack_bytes(manifest or self.manifest(production), signer, model)

    def write(self, data: bytes, name: str = "grain.onnx") -> Path:
        return write_pack(data, self.root / "exports" / name)


@pytest.fixture
def studio(tmp_path, monkeypatch):
    monkeypatch.setenv("ANSWERPRINT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ANSWERPRINT_SHARED_LIBRARY", raising=False)
    monkeypatch.delenv("ANSWERPRINT_DEVELOPER_SKIP_VERIFY", raising=False)
    return Studio(tmp_path)


def flipped(data: bytes, position: int, mask: int = 0xFF) -> bytes:
    changed = bytearray(data)
    changed[position] ^= mask
    return bytes(changed)


# --- the signed pack -------------------------------------------------------------------------------------

def test_a_signed_pack_loads_and_runs(studio):
    pack = load_pack(studio.write(studio.pack_bytes()), "cobalt")
    assert pack.signed_by == studio.cobalt_key_id and pack.verified
    assert pack.pack_id == "cobalt/cleanup/grain@1"
    image = np.random.default_rng(1).random((1, 3, 24, 40), dtype=np.float32)
    out = ModelSession(pack.model_bytes).run({"image": image})["output"]
    assert out.shape == image.shape


def test_loading_without_a_job_production_still_verifies_against_the_packs_production(studio):
    assert load_pack(studio.write(studio.pack_bytes()), None).signed_by == studio.cobalt_key_id


def test_the_private_key_is_private_and_never_in_the_library(studio):
    key_file = private_key_path("cobalt")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    library_text = b"".join(p.read_bytes() for p in studio.cobalt.folder.rglob("*") if p.is_file())
    assert b"PRIVATE KEY" not in library_text
    assert (studio.cobalt.public_keys_folder / f"{studio.cobalt_key_id}.pem").is_file()


def test_keys_init_never_overwrites_a_key(studio):
    before = private_key_path("cobalt").read_bytes()
    with pytest.raises(UsageError, match="never overwritten"):
        create_production_key(studio.cobalt)
    assert private_key_path("cobalt").read_bytes() == before


# --- refusals -----------------------------------------------------------------------------------------

def test_an_unsigned_pack_is_refused(studio):
    with pytest.raises(UnsignedPackError, match="unsigned"):
        load_pack(studio.write(studio.pack_bytes(signer=None)), "cobalt")


@pytest.mark.parametrize("where", ["start", "weights", "manifest", "end"])
def test_a_tampered_pack_is_refused(studio, where):
    data = studio.pack_bytes()
    weights = numpy_helper.to_array(conv_graph().graph.initializer[0]).tobytes()
    positions = {"start": 0, "weights": data.index(weights) + len(weights) // 2,
                 "manifest": data.index(b'"training_config"') + 5, "end": len(data) - 1}
    for mask in (0xFF, 0x01):
        with pytest.raises(TamperedPackError, match="signature|corrupt|altered|damaged"):
            load_pack(studio.write(flipped(data, positions[where], mask)), "cobalt")


def test_one_flipped_byte_anywhere_is_refused(studio):
    data = studio.pack_bytes()
    for position in range(0, len(data), 3):
        with pytest.raises(PackError):
            load_pack(studio.write(flipped(data, position)), "cobalt")


def test_a_stripped_signature_is_tampering_not_unsigned(studio):
    stripped = onnx_wire.without_metadata(studio.pack_bytes(), frozenset({SIGNATURE_KEY}))
    with pytest.raises(TamperedPackError, match="signature is missing"):
        load_pack(studio.write(stripped), "cobalt")


def test_a_pack_signed_by_another_productions_key_is_refused(studio):
    data = studio.pack_bytes(production="cobalt", signer="ember")
    with pytest.raises(ForeignPackError, match=f"signed by key {studio.ember_key_id} \\(a key of production ember\\)"
                                               ", which is not a key of production cobalt"):
        load_pack(studio.write(data), "cobalt")


def test_a_pack_signed_by_an_unknown_key_is_refused(studio):
    data = sign_model(embed_manifest(conv_graph().SerializeToString(), studio.manifest()),
                      Ed25519PrivateKey.generate())
    with pytest.raises(ForeignPackError, match="which is not a key of production cobalt"):
        load_pack(studio.write(data), "cobalt")


def test_a_pack_made_for_another_production_is_refused(studio):
    data = studio.pack_bytes(production="ember", signer="ember")
    assert load_pack(studio.write(data), "ember").verified
    with pytest.raises(ForeignPackError, match="made for production ember .*this job belongs to production cobalt"):
        load_pack(studio.write(data), "cobalt")


def test_a_pack_with_external_data_is_refused(studio, tmp_path):
    model = conv_graph()
    onnx.save_model(model, tmp_path / "external.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=0)
    data = studio.pack_bytes(model=(tmp_path / "external.onnx").read_bytes())
    with pytest.raises(UnsafePackError, match="external data"):
        load_pack(studio.write(data), "cobalt")


def test_a_pack_with_an_absurd_initializer_is_refused(studio):
    absurd = TensorProto(name="huge", data_type=TensorProto.FLOAT, dims=[2 ** 20, 2 ** 20], raw_data=b"\0" * 4)
    data = studio.pack_bytes(model=conv_graph(extra_initializers=(absurd,)).SerializeToString())
    with pytest.raises(UnsafePackError, match="huge declares 1099511627776 elements"):
        load_pack(studio.write(data), "cobalt")


def test_a_pack_whose_initializer_lies_about_its_size_is_refused(studio):
    liar = TensorProto(name="liar", data_type=TensorProto.FLOAT, dims=[16], raw_data=b"\0" * 8)
    data = studio.pack_bytes(model=conv_graph(extra_initializers=(liar,)).SerializeToString())
    with pytest.raises(UnsafePackError, match="liar declares \\[16\\] \\(64 bytes\\) but holds 8"):
        load_pack(studio.write(data), "cobalt")


def test_a_pack_over_the_size_cap_is_refused_before_reading(studio):
    from answerprint.core.packs import SafetyLimits

    with pytest.raises(UnsafePackError, match="over the 100-byte cap"):
        load_pack(studio.write(studio.pack_bytes()), "cobalt", limits=SafetyLimits(max_file_bytes=100))


@pytest.mark.parametrize("graph_kwargs, message", [
    ({"input_name": "x"}, "the graph's inputs x .* do not match the manifest's image"),
    ({"channels": 4}, "axis C is 4 in the graph, 3 in the manifest"),
])
def test_a_graph_not_matching_its_manifest_is_refused(studio, graph_kwargs, message):
    data = studio.pack_bytes(model=conv_graph(**graph_kwargs).SerializeToString())
    with pytest.raises(UnsafePackError, match=message):
        load_pack(studio.write(data), "cobalt")


def test_a_schema_invalid_manifest_is_refused(studio):
    data = studio.manifest().to_dict()
    data["identity"]["version"] = "one"
    packed = onnx_wire.with_metadata(conv_graph().SerializeToString(), {MANIFEST_KEY: json.dumps(data)})
    with pytest.raises(PackError, match="manifest is not valid: at identity/version"):
        load_pack(studio.write(packed), "cobalt")
    with pytest.raises(TamperedPackError, match="manifest is damaged"):
        load_pack(studio.write(append_signature(packed, load_private_key("cobalt"))), "cobalt")


def test_a_pack_of_a_newer_schema_says_which_version_it_needs(studio):
    data = studio.manifest().to_dict()
    data["schema"] = "answerprint.pack/3"
    packed = onnx_wire.with_metadata(conv_graph().SerializeToString(), {MANIFEST_KEY: json.dumps(data)})
    packed = append_signature(packed, load_private_key("cobalt"))
    with pytest.raises(ManifestVersionError, match="pack schema answerprint.pack/3; answerprint .* reads "
                                                   "answerprint.pack/2 only: install a newer answerprint"):
        load_pack(studio.write(packed), "cobalt")


def test_a_schema_1_pack_is_upgraded_on_read_and_its_signature_still_holds(studio):
    """Schema 1 said "applied outside the graph" as baked at null; schema 2 says it as ``effect``."""
    data = studio.manifest(spec=replace(SPEC, params=ParamSchema([Param("detail", "float", 0.25)]),
                                        bindings=(ParamBinding("detail", "effect"),))).to_dict()
    data["schema"] = "answerprint.pack/1"
    data["parameters"]["bindings"] = [{"param": "detail", "via": "baked", "value": None}]
    data["signing"] = {"algorithm": "ed25519", "key_id": studio.cobalt_key_id}
    stored = json.dumps(data)
    packed = append_signature(onnx_wire.with_metadata(conv_graph().SerializeToString(), {MANIFEST_KEY: stored}),
                              load_private_key("cobalt"))
    pack = load_pack(studio.write(packed), "cobalt")
    assert pack.verified and pack.manifest.stored_schema == "answerprint.pack/1"
    assert pack.manifest.to_dict()["schema"] == "answerprint.pack/2"
    assert pack.manifest.bindings == (ParamBinding("detail", "effect"),)
    assert stored.encode() in pack.model_bytes, "the signed bytes are read, never rewritten"


def test_an_onnx_file_without_a_manifest_is_not_a_pack(studio):
    with pytest.raises(PackError, match="not a model pack"):
        load_pack(studio.write(conv_graph().SerializeToString()), "cobalt")


def test_the_developer_override_loads_an_unsigned_pack_and_says_so_loudly(studio, monkeypatch):
    path = studio.write(studio.pack_bytes(signer=None))
    with pytest.warns(VerificationSkippedWarning, match="DEVELOPER OVERRIDE.*WITHOUT VERIFICATION.*unsigned"):
        pack = load_pack(path, "cobalt", allow_unsigned=True)
    assert not pack.verified and pack.signed_by is None
    assert pack.skipped_checks == ("UnsignedPackError: the pack is unsigned; only packs signed with the "
                                   "production's key may be used",)
    monkeypatch.setenv("ANSWERPRINT_DEVELOPER_SKIP_VERIFY", "1")
    with pytest.warns(VerificationSkippedWarning, match="ForeignPackError.*UnsignedPackError"):
        assert load_pack(path, "ember").skipped_checks


def test_the_developer_override_never_skips_the_safety_checks(studio):
    absurd = TensorProto(name="huge", data_type=TensorProto.FLOAT, dims=[2 ** 40], raw_data=b"")
    data = studio.pack_bytes(signer=None, model=conv_graph(extra_initializers=(absurd,)).SerializeToString())
    with pytest.raises(UnsafePackError):
        load_pack(studio.write(data), "cobalt", allow_unsigned=True)


# --- approved media -------------------------------------------------------------------------------------

def test_training_footage_under_an_approved_root_is_accepted(studio):
    source = record_source(studio.cobalt, studio.clip, [(0, 10)])
    assert source.approved_root == str(studio.dailies.resolve())
    assert len(source.sha256) == 64


def test_training_footage_outside_the_approved_roots_is_refused(studio, tmp_path):
    outside = tmp_path / "someone_elses_show" / "B002.mov"
    outside.parent.mkdir()
    outside.write_bytes(b"x")
    with pytest.raises(UnapprovedMediaError, match="not under an approved media root of production cobalt"):
        record_source(studio.cobalt, outside, [(0, 10)])
    link = studio.dailies / "sneaky.mov"
    link.symlink_to(outside)
    with pytest.raises(UnapprovedMediaError):
        record_source(studio.cobalt, link, [(0, 10)])


def test_an_approved_media_override_is_recorded_in_the_manifest(studio, tmp_path):
    outside = tmp_path / "reference" / "C003.mov"
    outside.parent.mkdir()
    outside.write_bytes(b"y")
    override = MediaOverride("producer approved by e-mail 2026-11-20, ref 4411", by="jlee")
    sources = [record_source(studio.cobalt, studio.clip, [(0, 5)]),
               record_source(studio.cobalt, outside, [(10, 20)], override=override)]
    with pytest.raises(UsageError, match="no override is recorded"):
        build_provenance(studio.cobalt, sources, training_config={}, validation_metrics={})
    provenance = build_provenance(studio.cobalt, sources, training_config={}, validation_metrics={},
                                  override=override)
    recorded = provenance["approved_media_override"]
    assert recorded["reason"].startswith("producer approved") and recorded["by"] == "jlee"
    assert recorded["paths"] == [str(outside)]
    manifest = Manifest.create(SPEC, production_id="cobalt", production_name="Cobalt Feature",
                               provenance=provenance, parity=PARITY, software=SOFTWARE, opset=20)
    assert manifest.provenance["approved_media_override"] == recorded


# --- library --------------------------------------------------------------------------------------------

def test_versions_sit_side_by_side_and_the_latest_is_found(studio):
    for version in ("1", "2", "10"):
        spec = PackSpec(SPEC.effect, SPEC.name, version, SPEC.io)
        install_pack(studio.write(studio.pack_bytes(manifest=studio.manifest(spec=spec)), f"v{version}.onnx"),
                     "cobalt")
    assert [e.manifest.version for e in list_packs("cobalt")] == ["1", "2", "10"]
    assert all(e.verified for e in list_packs())
    assert find_pack("cleanup/grain", "cobalt").parent.name == "10"
    assert find_pack("cobalt/cleanup/grain@2").parent.name == "2"
    with pytest.raises(PackError, match="version 3 is not installed; installed: 1, 2, 10"):
        find_pack("cleanup/grain@3", "cobalt")


def test_an_installed_pack_never_changes(studio):
    path = studio.write(studio.pack_bytes())
    installed = install_pack(path, "cobalt")
    assert install_pack(path, "cobalt").sha256 == installed.sha256
    other = studio.manifest().updated({"identity.description": "retrained"})
    with pytest.raises(PackError, match="already installed with different content"):
        install_pack(studio.write(studio.pack_bytes(manifest=other), "other.onnx"), "cobalt")


def test_only_verified_packs_are_installed(studio):
    with pytest.raises(UnsignedPackError):
        install_pack(studio.write(studio.pack_bytes(signer=None)), "cobalt")
    assert list_packs("cobalt") == []


def test_a_broken_library_pack_is_listed_with_its_reason(studio):
    installed = Path(install_pack(studio.write(studio.pack_bytes()), "cobalt").path)
    data = installed.read_bytes()
    installed.write_bytes(flipped(data, data.index(b'"training_config"') + 5, mask=0x01))
    [entry] = list_packs("cobalt")
    assert not entry.verified and "signed but its manifest is damaged" in entry.problem


def test_a_job_gets_only_a_pack_for_its_effect(studio):
    install_pack(studio.write(studio.pack_bytes()), "cobalt")
    assert open_pack_for_job("cleanup/grain", "cleanup", "cobalt").verified
    with pytest.raises(PackError, match="for the cleanup effect, not relight"):
        open_pack_for_job("cleanup/grain", "relight", "cobalt")


def test_a_facility_shared_library_holds_the_public_keys(studio, tmp_path, monkeypatch):
    path = studio.write(studio.pack_bytes())
    shared = tmp_path / "facility_library"
    monkeypatch.setenv("ANSWERPRINT_SHARED_LIBRARY", str(shared))
    with pytest.raises(PackError, match="production cobalt is not in the model library"):
        load_pack(path, "cobalt")
    production = init_production("cobalt", "Cobalt Feature")
    add_public_key(production, load_private_key("cobalt").public_key())
    assert load_pack(path, "cobalt").verified
    assert (shared / "cobalt" / "production.json").is_file()


# --- the ONNX wire walker agrees with the onnx package ------------------------------------------------

def test_the_wire_walker_reads_what_onnx_reads(studio):
    data = studio.pack_bytes()
    model = onnx.load_from_string(data)
    assert [(e.key, e.value) for e in onnx_wire.metadata_entries(data)] == \
        [(p.key, p.value) for p in model.metadata_props]
    inputs, outputs = onnx_wire.graph_io(data)
    assert inputs == (onnx_wire.ValueInfo("image", TensorProto.FLOAT, ("N", 3, "H", "W")),)
    assert [o.name for o in outputs] == [o.name for o in model.graph.output]
    tensors = {t.name: t for t in onnx_wire.iter_tensors(data)}
    for initializer in model.graph.initializer:
        assert tensors[initializer.name].dims == tuple(initializer.dims)
        assert tensors[initializer.name].raw_bytes == len(initializer.raw_data)
    rewritten = onnx_wire.with_metadata(data, {"answerprint.test": "ünïcode"})
    assert {p.key: p.value for p in onnx.load_from_string(rewritten).metadata_props}["answerprint.test"] == "ünïcode"


# --- fuzzing --------------------------------------------------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children,
                                                                                       max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_fuzzed_manifest_json_raises_nothing_but_pack_errors(value):
    with pytest.raises(PackError):
        Manifest.parse(json.dumps(value))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_fuzzed_manifest_bytes_raise_nothing_but_pack_errors(data):
    with pytest.raises(PackError):
        Manifest.parse(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzzed_manifest_fields_raise_nothing_but_pack_errors(studio, data):
    manifest = studio.manifest().to_dict()
    node = manifest
    while isinstance(node, (dict, list)) and node and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        if not isinstance(node[key], (dict, list)):
            break
        node = node[key]
    if isinstance(node, dict) and node:
        node[data.draw(st.sampled_from(sorted(node)))] = data.draw(JSON)
    try:
        Manifest(manifest)
    except PackError:
        pass


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=600))
def test_random_bytes_as_a_pack_raise_nothing_but_pack_errors(studio, data):
    with pytest.raises(PackError):
        load_pack(studio.write(data), "cobalt")


# --- command line ---------------------------------------------------------------------------------------

@pytest.fixture
def answerprint(monkeypatch, capsys):
    """``answerprint ...`` restricted to the packs and keys commands; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(cli, "_CORE_COMMANDS", ("packs", "keys"))
    monkeypatch.setattr(cli, "_plugin_commands", dict)

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_the_command_line_sets_up_keys_and_shows_a_lawyer_the_provenance(tmp_path, monkeypatch, answerprint):
    monkeypatch.setenv("ANSWERPRINT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ANSWERPRINT_SHARED_LIBRARY", raising=False)
    dailies = tmp_path / "dailies"
    clip = dailies / "A001C003.mov"
    dailies.mkdir()
    clip.write_bytes(b"bytes")
    code, out, _ = answerprint("keys", "init", "--production", "cobalt", "--name", "Cobalt Feature",
                               "--approved-root", str(dailies))
    assert code == 0 and "signing key" in out
    code, _, err = answerprint("keys", "init", "--production", "cobalt")
    assert code == UsageError.exit_code and "never overwritten" in err
    toy = replace(SPEC, effect="grade")  # an effect this answerprint does not install: nothing but the graph to check
    path = write_pack(pack_bytes(manifest_for("cobalt", clip, toy), "cobalt"), tmp_path / "exports" / "grain.onnx")

    assert answerprint("packs", "install", str(path), "--production", "cobalt")[0] == 0
    code, out, _ = answerprint("packs", "list")
    assert code == 0 and "cobalt/grade/grain@1" in out and "verified" in out
    code, out, _ = answerprint("packs", "inspect", "cobalt/grade/grain")
    assert code == 0
    for expected in ("signature VALID", "Cobalt Feature", str(clip), "frames 0-47, 120-200",
                     record_source(load_production("cobalt"), clip, [(0, 1)]).sha256,
                     "approved media roots: " + str(dailies.resolve()), "approved-media override: none",
                     "trained by", "psnr_db 41.5", '"epochs": 3', "max |torch - onnxruntime| = 0"):
        assert expected in out, expected
    code, out, _ = answerprint("packs", "inspect", str(path), "--json")
    assert json.loads(out)["manifest"]["provenance"]["sources"][0]["frame_ranges"] == [[0, 47], [120, 200]]
    code, out, _ = answerprint("packs", "verify", "grade/grain", "--production", "cobalt")
    assert code == 0 and out.startswith("OK cobalt/grade/grain@1")
    not_cleanup = write_pack(pack_bytes(manifest_for("cobalt", clip), "cobalt"), tmp_path / "toy_cleanup.onnx")
    code, _, err = answerprint("packs", "verify", str(not_cleanup))
    assert code == PackError.exit_code == 6 and err.count("\n") == 1
    assert "does not bind parameter 'strength', which this answerprint's cleanup effect feeds" in err

    data = path.read_bytes()
    tampered = write_pack(flipped(data, data.index(b'"training_config"') + 5, mask=0x01), tmp_path / "bad.onnx")
    code, _, err = answerprint("packs", "verify", str(tampered), "--production", "cobalt")
    assert code == TamperedPackError.exit_code and err.count("\n") == 1 and "damaged" in err
    code, _, err = answerprint("packs", "inspect", str(tampered))
    assert code == TamperedPackError.exit_code and "manifest is damaged" in err
    better_score = write_pack(flipped(data, data.index(b'"psnr_db":41.5') + 11, mask=0x01), tmp_path / "psnr.onnx")
    code, out, _ = answerprint("packs", "inspect", str(better_score))
    assert code == 0 and "signature REFUSED (TamperedPackError)" in out and "psnr_db 40.5" in out

    unsigned = write_pack(pack_bytes(manifest_for("cobalt", clip, toy), None), tmp_path / "unsigned.onnx")
    code, _, err = answerprint("packs", "verify", str(unsigned))
    assert code == UnsignedPackError.exit_code and "unsigned" in err
    code, out, err = answerprint("packs", "verify", str(unsigned), "--developer-skip-verify")
    assert code == 0 and "WARNING: DEVELOPER OVERRIDE" in err and "WITHOUT VERIFICATION" in out

    code, out, _ = answerprint("keys", "export-public", "--production", "cobalt")
    assert code == 0 and out.startswith("-----BEGIN PUBLIC KEY-----")
    code, out, _ = answerprint("keys", "list")
    assert code == 0 and "this user's private key is here" in out
    assert os.path.exists(private_key_path("cobalt"))


def test_effect_data_travels_inside_the_signature(studio):
    spec = replace(SPEC, effect_data={"noise_model": {"sigma": [0.01, 0.02]}})
    data = studio.pack_bytes(manifest=studio.manifest(spec=spec))
    assert load_pack(studio.write(data), "cobalt").manifest.effect_data == {"noise_model": {"sigma": [0.01, 0.02]}}
    position = data.index(b"0.02")
    with pytest.raises(TamperedPackError):
        load_pack(studio.write(data[:position] + b"0.05" + data[position + 4:], "forged.onnx"), "cobalt")
