"""Image sequences through OpenImageIO: a colorist's checklist for EXR/DPX/TIFF/PNG/JPEG in and out."""
from __future__ import annotations

import os
import struct
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest
from conftest import file_digest, photo_frames, ramp_frame

from answerprint.core.errors import MediaError, OutputError
from answerprint.core.frames import OutputSpec, open_media, open_writer
from answerprint.core.frames import sequence
from answerprint.core.frames.media import check_dimensions
from answerprint.core.frames.sequence import (SequenceReader, SequenceWriter, decode_smpte_timecode,
                                              encode_smpte_timecode, existing_frames, parse_sequence_path,
                                              sequence_frame_path)

W, H = 256, 144


def write_sequence(pattern: Path | str, frames: list[np.ndarray], codec: str = "exr", first: int = 1001,
                   **spec_fields) -> list[str]:
    """Write ``frames`` numbered from ``first`` with a ``SequenceWriter``; returns the final paths."""
    height, width = frames[0].shape[:2]
    fields = {"frame_rate": Fraction(24), "first_frame": first, **spec_fields}
    writer = open_writer(OutputSpec(str(pattern), codec, width, height, **fields))
    for offset, pixels in enumerate(frames):
        writer.write(first + offset, pixels)
    return writer.finish()


def header(path: str | Path) -> oiio.ImageSpec:
    """The header of one file, straight from OIIO (independent of the reader under test)."""
    image = oiio.ImageInput.open(str(path))
    try:
        return image.spec()
    finally:
        image.close()


def hdr_frames(count: int) -> list[np.ndarray]:
    """Scene-linear-like frames: a photo scaled to 0..4 with a little negative undershoot, exact 4.0 included."""
    frames = [frame * 4.0 - 0.05 for frame in photo_frames(W, H, count)]
    for frame in frames:
        frame[0, 0] = (4.0, 1.0, -0.05)
    return frames


@pytest.mark.parametrize("compression, half", [("piz", True), ("zip", True), ("dwaa", True), ("piz", False)])
def test_exr_round_trip_keeps_compression_and_values(tmp_path, compression, half):
    """EXR half PIZ/ZIP are exact to half precision, float is exact, DWAA is lossy but close."""
    frames = hdr_frames(2)
    paths = write_sequence(tmp_path / "plate.%04d.exr", frames, exr_compression=compression, exr_half=half)
    assert header(paths[0]).get_string_attribute("compression") == compression
    with open_media(tmp_path / "plate.%04d.exr") as reader:
        info = reader.info
        read = dict(reader.read())
    assert (info.codec, info.profile) == ("openexr", compression)
    assert (info.pixel_format, info.bit_depth) == (("half", 16) if half else ("float", 32))
    assert sorted(read) == [1001, 1002]
    got, want = read[1001], frames[0]
    assert got.dtype == np.float32 and got.shape == (H, W, 3)
    error = np.abs(got - want)
    if compression == "dwaa":
        # Measured on this photo (peak 4.0): max 0.088, mean 0.0079.
        assert error.max() < 0.2 and error.mean() < 0.02
    elif half:
        assert (error / np.maximum(np.abs(want), 1e-2)).max() <= 1e-3
    else:
        assert error.max() == 0.0
    if compression != "dwaa":
        assert tuple(got[0, 0]) == (4.0, 1.0, pytest.approx(-0.05, rel=1e-3))


def test_exr_unknown_compression_is_refused_not_silently_zip(tmp_path):
    """OIIO would write zip for a misspelt name; the writer refuses it instead."""
    with pytest.raises(OutputError, match="ht256"):
        SequenceWriter(OutputSpec(str(tmp_path / "x.%04d.exr"), "exr", W, H, Fraction(24), exr_compression="ht256"))


def test_dpx10_keeps_1024_levels_and_exact_codes(tmp_path):
    """10-bit DPX: BitsPerSample 10 in the header, 1024 levels on a 1100-wide ramp, code n reads n/1023."""
    ramp = ramp_frame(1100, 8)
    codes = np.array([0, 1, 512, 1022, 1023], dtype=np.float32)
    ramp[1, :5] = (codes / 1023)[:, None]
    path = write_sequence(tmp_path / "scan.%04d.dpx", [ramp], codec="dpx10")[0]
    assert header(path).get_int_attribute("oiio:BitsPerSample") == 10
    raw = oiio.ImageInput.open(path)
    stored = raw.read_image(0, 0, 0, 3, "uint16")
    raw.close()
    assert list(stored[1, :5, 0] >> 6) == [0, 1, 512, 1022, 1023]
    reader = SequenceReader(path)
    assert (reader.info.codec, reader.info.bit_depth, reader.info.pixel_format) == ("dpx", 10, "uint16")
    pixels = reader.read_frame(1001)
    assert len(np.unique(pixels[0, :, 0])) == 1024
    assert pixels[1, 2, 0] == np.float32(512 / 1023) and pixels[1, 4, 0] == 1.0
    np.testing.assert_array_equal(pixels[1, :5, 1], (codes / np.float32(1023)).astype(np.float32))


@pytest.mark.parametrize("codec, ext, fmt", [("dpx16", "dpx", "dpx"), ("tiff16", "tif", "tiff"),
                                             ("png16", "png", "png")])
def test_16bit_formats_keep_more_than_256_levels(tmp_path, codec, ext, fmt):
    """16-bit DPX/TIFF/PNG keep every level of a 1100-wide ramp, to within half a 16-bit code."""
    ramp = ramp_frame(1100, 8)
    path = write_sequence(tmp_path / f"grade.%04d.{ext}", [ramp], codec=codec)[0]
    reader = SequenceReader(path)
    assert (reader.info.codec, reader.info.bit_depth) == (fmt, 16)
    pixels = reader.read_frame(1001)
    assert len(np.unique(pixels[0, :, 0])) > 256
    assert np.abs(pixels - ramp).max() <= 0.5 / 65535 + 1e-7


def test_jpeg_is_8bit(tmp_path):
    """JPEG review stills are 8-bit: at most 256 levels, bit depth 8."""
    ramp = ramp_frame(1100, 8)
    path = write_sequence(tmp_path / "still.%04d.jpg", [ramp], codec="jpeg")[0]
    reader = SequenceReader(path)
    assert (reader.info.codec, reader.info.bit_depth, reader.info.pixel_format) == ("jpeg", 8, "uint8")
    assert len(np.unique(reader.read_frame(1001)[0, :, 0])) <= 256


def test_pattern_spellings_resolve_to_the_same_sequence(tmp_path):
    """``%04d``, ``####`` and one frame's path all open shot.1001..1005 as the same sequence."""
    write_sequence(tmp_path / "shot.%04d.exr", photo_frames(64, 36, 5))
    infos = [SequenceReader(tmp_path / name).info for name in ("shot.%04d.exr", "shot.####.exr", "shot.1003.exr")]
    assert {info.path for info in infos} == {str(tmp_path / "shot.%04d.exr")}
    assert all(list(info.frame_numbers) == [1001, 1002, 1003, 1004, 1005] for info in infos)
    assert parse_sequence_path("/a/b/shot.####.exr") == ("/a/b", "shot.", 4, ".exr")
    assert parse_sequence_path("/a/b/shot_v2.%06d.dpx") == ("/a/b", "shot_v2.", 6, ".dpx")
    assert sequence_frame_path("/a/shot.1001.exr", 998) == "/a/shot.0998.exr"
    assert sequence_frame_path("shot.%04d.exr", 12345) == "shot.12345.exr"
    assert existing_frames(tmp_path / "shot.@@@@.exr") == [1001, 1002, 1003, 1004, 1005]
    assert existing_frames(tmp_path / "shot.%05d.exr") == []


def test_still_without_frame_number_is_a_one_frame_sequence(tmp_path):
    """A plain ``still.png`` opens as one frame numbered 0."""
    write_sequence(tmp_path / "still.png", [photo_frames(64, 36, 1)[0]], codec="png16", first=0)
    with open_media(tmp_path / "still.png") as reader:
        assert (reader.info.first_frame, reader.info.frame_count) == (0, 1)
        assert [n for n, _ in reader.read()] == [0]


def test_missing_frames_are_reported_and_named(tmp_path):
    """1001..1005 with 1003 deleted: the gap is listed, reading it names the file, neighbours still read."""
    write_sequence(tmp_path / "shot.%04d.exr", photo_frames(64, 36, 5))
    os.remove(tmp_path / "shot.1003.exr")
    reader = SequenceReader(tmp_path / "shot.%04d.exr")
    assert reader.info.missing_frames == (1003,)
    assert (reader.info.first_frame, reader.info.frame_count) == (1001, 5)
    assert [n for n, _ in reader.read([1002, 1001])] == [1001, 1002]
    with pytest.raises(MediaError, match=r"shot\.1003\.exr: frame 1003 is missing"):
        list(reader.read([1003]))


def test_no_matching_frames_is_an_error(tmp_path):
    """A pattern matching nothing says so rather than opening an empty sequence."""
    with pytest.raises(MediaError, match="no frames match"):
        SequenceReader(tmp_path / "nothing.%04d.exr")


def test_rate_timecode_and_pixel_aspect_survive_reader_writer_reader(tmp_path):
    """23.976 (exactly 24000/1001), start TC 01:00:00:00 and 2x anamorphic go EXR -> reader -> writer -> reader."""
    rate = Fraction(24000, 1001)
    write_sequence(tmp_path / "src.%04d.exr", photo_frames(64, 36, 3), frame_rate=rate, timecode="01:00:00:00",
                   pixel_aspect=Fraction(2))
    source = SequenceReader(tmp_path / "src.%04d.exr")
    assert (source.info.frame_rate, source.info.timecode, source.info.pixel_aspect) == (rate, "01:00:00:00", 2)
    for codec, ext in (("exr", "exr"), ("dpx10", "dpx")):
        info = source.info
        spec = OutputSpec(str(tmp_path / f"out.%04d.{ext}"), codec, info.width, info.height, info.frame_rate,
                          info.first_frame, info.timecode, info.pixel_aspect)
        writer = SequenceWriter(spec)
        for number, pixels in source.read():
            writer.write(number, np.clip(pixels, 0, 1))
        out = SequenceReader(writer.finish()[0]).info
        assert (out.frame_rate, out.timecode, out.pixel_aspect) == (rate, "01:00:00:00", 2)
        assert out.frame_rate.denominator == 1001
        assert decode_smpte_timecode(header(tmp_path / f"out.1003.{ext}")["smpte:TimeCode"][0]) == "01:00:00:02"


def test_smpte_timecode_words():
    """BCD time words round-trip, drop-frame flag included; an unset (all ones) word is no timecode."""
    for timecode in ("00:00:00:00", "01:00:00:00", "23:59:59:23", "10:01:00;02"):
        assert decode_smpte_timecode(encode_smpte_timecode(timecode)) == timecode
    assert encode_smpte_timecode("01:00:00:00") == 0x01000000
    assert decode_smpte_timecode(0xFFFFFFFF) is None


def test_corrupt_and_truncated_frames_are_named_and_left_untouched(tmp_path):
    """Random bytes and half a file both raise MediaError naming the file; the source bytes do not change."""
    paths = write_sequence(tmp_path / "shot.%04d.exr", photo_frames(W, H, 3))
    size = os.path.getsize(paths[1])
    Path(paths[1]).write_bytes(np.random.default_rng(1).bytes(size))
    Path(paths[2]).write_bytes(Path(paths[2]).read_bytes()[:size // 2])
    digests = [file_digest(path) for path in paths]
    reader = SequenceReader(paths[0])
    for path, number in ((paths[1], 1002), (paths[2], 1003)):
        with pytest.raises(MediaError) as caught:
            reader.read_frame(number)
        assert caught.value.where == path and "\n" not in str(caught.value)
    assert "not an OpenEXR file" in str(pytest.raises(MediaError, reader.read_frame, 1002).value)
    assert [file_digest(path) for path in paths] == digests


def test_frame_of_another_size_is_refused(tmp_path):
    """A frame that does not match the first frame's size is named, not silently resized."""
    paths = write_sequence(tmp_path / "shot.%04d.exr", photo_frames(64, 36, 2))
    write_sequence(tmp_path / "shot.%04d.exr", photo_frames(32, 18, 1), first=1003)
    reader = SequenceReader(paths[0])
    assert [n for n, _ in reader.read([1001, 1002])] == [1001, 1002]
    with pytest.raises(MediaError, match=r"shot\.1003\.exr: frame 1003 is 32x18 but the sequence is 64x36"):
        reader.read_frame(1003)


def craft_exr_header(path: Path, width: int, height: int) -> None:
    """A tiny valid EXR whose data and display windows are then patched to claim ``width`` x ``height``."""
    write_sequence(path, [np.zeros((16, 16, 3), np.float32)], first=0)
    data = bytearray(path.read_bytes())
    for name in (b"dataWindow\x00box2i\x00", b"displayWindow\x00box2i\x00"):
        at = data.index(name) + len(name) + 4
        data[at:at + 16] = struct.pack("<4i", 0, 0, width - 1, height - 1)
    path.write_bytes(data)


def test_absurd_header_is_refused_before_pixels_are_read(tmp_path, monkeypatch):
    """A header claiming 20000 pixels wide is refused by size alone; 100000x100000 is refused by OIIO itself."""
    monkeypatch.setattr(sequence, "_decode", lambda *args: pytest.fail("pixels were decoded"))
    craft_exr_header(tmp_path / "wide.exr", 20000, 8)
    with pytest.raises(MediaError, match="absurd frame size 20000x8"):
        SequenceReader(tmp_path / "wide.exr")
    craft_exr_header(tmp_path / "huge.exr", 100000, 100000)
    with pytest.raises(MediaError, match="huge.exr.*cannot be opened"):
        SequenceReader(tmp_path / "huge.exr")
    with pytest.raises(MediaError, match="absurd"):
        check_dimensions(100000, 100000, "header")


def test_writer_leaves_no_temporary_files(tmp_path):
    """After a normal write only final frame names exist, and finish() lists them."""
    paths = write_sequence(tmp_path / "out.####.exr", photo_frames(64, 36, 3))
    assert paths == [str(tmp_path / f"out.{n}.exr") for n in (1001, 1002, 1003)]
    assert sorted(os.listdir(tmp_path)) == ["out.1001.exr", "out.1002.exr", "out.1003.exr"]


@pytest.mark.parametrize("folder", ["missing_folder", "a_file"])
def test_unwritable_target_raises_and_leaves_no_final_file(tmp_path, folder):
    """Folder missing, or a path component that is a file: OutputError naming the frame, nothing written."""
    (tmp_path / "a_file").write_text("not a folder")
    target = tmp_path / folder / "out.%04d.exr"
    writer = SequenceWriter(OutputSpec(str(target), "exr", 64, 36, Fraction(24), 1001))
    with pytest.raises(OutputError) as caught:
        writer.write(1001, photo_frames(64, 36, 1)[0])
    assert caught.value.where == str(tmp_path / folder / "out.1001.exr")
    assert "Could not open" in caught.value.what
    assert not os.path.lexists(caught.value.where) and writer.finish() == []


def test_failed_write_leaves_neither_final_nor_partial_file(tmp_path, monkeypatch):
    """A failure after the temporary file was started (disk full) removes it; earlier frames stay for resume."""
    writer = SequenceWriter(OutputSpec(str(tmp_path / "out.%04d.exr"), "exr", 64, 36, Fraction(24), 1001))
    frame = photo_frames(64, 36, 1)[0]
    writer.write(1001, frame)

    def disk_full(path, final, data, spec):
        Path(path).write_bytes(b"half a frame")
        raise OutputError("cannot write file: No space left on device", final)

    monkeypatch.setattr(writer, "_write_file", disk_full)
    with pytest.raises(OutputError, match="No space left"):
        writer.write(1002, frame)
    assert os.listdir(tmp_path) == ["out.1001.exr"]
    assert existing_frames(tmp_path / "out.%04d.exr") == [1001]
    writer.abort()
    assert writer.finish() == [str(tmp_path / "out.1001.exr")]


def test_frames_written_and_read_from_worker_threads(tmp_path):
    """A render may encode and decode several frames at once; each frame comes back as it was written."""
    frames = photo_frames(W, H, 6)
    writer = SequenceWriter(OutputSpec(str(tmp_path / "out.%04d.dpx"), "dpx16", W, H, Fraction(24), 1))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(writer.write, range(1, 7), frames))
        reader = SequenceReader(tmp_path / "out.%04d.dpx")
        read = list(pool.map(reader.read_frame, range(1, 7)))
    assert sorted(writer.finish()) == [str(tmp_path / f"out.{n:04d}.dpx") for n in range(1, 7)]
    assert max(np.abs(got - want).max() for got, want in zip(read, frames)) <= 0.5 / 65535 + 1e-7


def test_abort_during_a_write_removes_the_partial_frame_and_keeps_complete_ones(tmp_path, monkeypatch):
    """abort() while a frame is being written deletes its temporary file; that write fails, frame 1001 stays."""
    writer = SequenceWriter(OutputSpec(str(tmp_path / "out.%04d.exr"), "exr", 64, 36, Fraction(24), 1001))
    frame = photo_frames(64, 36, 1)[0]
    writer.write(1001, frame)
    seen = []

    def interrupted(path, final, data, spec):
        Path(path).write_bytes(b"half a frame")
        seen.append((Path(path).name, existing_frames(tmp_path / "out.%04d.exr")))
        writer.abort()

    monkeypatch.setattr(writer, "_write_file", interrupted)
    with pytest.raises(OutputError, match=r"out\.1002\.exr: frame 1002 cannot be written"):
        writer.write(1002, frame)
    assert seen == [(".out.1002.answerprint-partial.exr", [1001])]
    assert os.listdir(tmp_path) == ["out.1001.exr"]


def test_wrong_pixel_shape_and_extension_are_output_errors(tmp_path):
    """Wrong pixel shape, codec/extension mismatch, or a second frame into a still's name are refused."""
    writer = SequenceWriter(OutputSpec(str(tmp_path / "out.%04d.tif"), "tiff16", 64, 36, Fraction(24)))
    for bad in (np.zeros((36, 64, 4), np.float32), np.zeros((64, 36, 3), np.float32)):
        with pytest.raises(OutputError, match="expected \\(36, 64, 3\\)"):
            writer.write(0, bad)
    assert os.listdir(tmp_path) == []
    with pytest.raises(OutputError, match="writes .dpx"):
        SequenceWriter(OutputSpec(str(tmp_path / "out.%04d.exr"), "dpx10", 64, 36, Fraction(24)))
    still = SequenceWriter(OutputSpec(str(tmp_path / "grade.png"), "png16", 64, 36, Fraction(24)))
    still.write(0, np.zeros((36, 64, 3), np.float32))
    with pytest.raises(OutputError, match="holds one frame"):
        still.write(1, np.zeros((36, 64, 3), np.float32))
    assert still.finish() == [str(tmp_path / "grade.png")]


def write_raw(path: Path, pixels: np.ndarray, fmt: str, channels: list[str], **windows) -> None:
    """Write a file with OIIO directly, as another application would (channel names, windows, attributes)."""
    height, width, count = pixels.shape
    spec = oiio.ImageSpec(width, height, count, fmt)
    spec.channelnames = tuple(channels)
    spec.attribute("oiio:UnassociatedAlpha", 1)
    for name, value in windows.items():
        setattr(spec, name, value)
    output = oiio.ImageOutput.create(str(path))
    assert output.open(str(path), spec) and output.write_image(pixels) and output.close()


def test_alpha_dropped_grey_replicated(tmp_path):
    """RGBA keeps R, G, B as stored (a PNG's colour is not premultiplied); a one-channel EXR becomes grey RGB."""
    rgba = np.dstack([photo_frames(64, 36, 1)[0], np.full((36, 64), 0.25, np.float32)])
    write_raw(tmp_path / "matte.0001.png", rgba, "uint16", ["R", "G", "B", "A"])
    np.testing.assert_allclose(SequenceReader(tmp_path / "matte.0001.png").read_frame(1), rgba[..., :3], atol=1e-5)
    grey = rgba[..., :1].copy()
    write_raw(tmp_path / "luma.0001.exr", grey, "half", ["Y"])
    pixels = SequenceReader(tmp_path / "luma.0001.exr").read_frame(1)
    assert pixels.shape == (36, 64, 3) and np.array_equal(pixels[..., 0], pixels[..., 2])
    np.testing.assert_allclose(pixels[..., 1], grey[..., 0], rtol=1e-3, atol=1e-6)


def test_exr_bounding_box_is_placed_in_the_display_window(tmp_path):
    """A Nuke-style EXR whose data window is a 32x16 box at (10, 5) reads as the 64x36 frame, black outside."""
    box = np.full((16, 32, 3), 0.5, np.float32)
    write_raw(tmp_path / "bbox.0001.exr", box, "half", ["R", "G", "B"], x=10, y=5, full_x=0, full_y=0,
              full_width=64, full_height=36)
    reader = SequenceReader(tmp_path / "bbox.0001.exr")
    assert (reader.info.width, reader.info.height) == (64, 36)
    pixels = reader.read_frame(1)
    assert pixels[5:21, 10:42].min() == 0.5 and pixels.sum() == pytest.approx(0.5 * 16 * 32 * 3)


def test_colour_tags_from_oiio_colorspace(tmp_path):
    """An EXR tagged lin_rec709 reads as linear BT.709; ACEScg primaries have no H.273 code; untagged is unknown."""
    frame = photo_frames(16, 8, 1)[0]
    write_raw(tmp_path / "lin.0001.exr", frame, "half", ["R", "G", "B"])
    assert SequenceReader(tmp_path / "lin.0001.exr").info.color_tags == sequence.ColorTags()
    for name, primaries in (("lin_rec709_scene", "bt709"), ("lin_ap1_scene", "unknown")):
        spec = oiio.ImageSpec(16, 8, 3, "half")
        spec.attribute("oiio:ColorSpace", name)
        output = oiio.ImageOutput.create("openexr")
        assert output.open(str(tmp_path / f"{name}.exr"), spec) and output.write_image(frame) and output.close()
        tags = SequenceReader(tmp_path / f"{name}.exr").info.color_tags
        assert (tags.primaries, tags.transfer) == (primaries, "linear")


@pytest.mark.parametrize("attributes, camera", [({"cameraSerialNumber": "K1.0012345", "reelName": "A004R1AB"}, "K1.0012345"),
                                                ({"reelName": "B012R2EC"}, "B"), ({}, None)])
def test_the_camera_is_read_from_the_serial_number_or_the_reel_name(tmp_path, attributes, camera):
    """Dead-pixel maps are per camera body: its serial number, else the camera letter of the reel name."""
    path = str(tmp_path / "plate.1001.exr")
    spec = oiio.ImageSpec(16, 8, 3, "half")
    for name, value in attributes.items():
        spec.attribute(name, value)
    out = oiio.ImageOutput.create(path)
    out.open(path, spec)
    out.write_image(np.zeros((8, 16, 3), np.float32))
    out.close()
    with open_media(path) as reader:
        assert reader.info.camera == camera
