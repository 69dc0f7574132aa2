"""Movies in and out at full bit depth: what a colorist checks before trusting a master.

Every clip is made here from the photographs in ``conftest``. Error bounds are in code values 0..1 and were
measured on 512x288 ramps (ProRes 422 HQ: ramp row 2.2e-3, mean 3.1e-3, worst pixel 0.15 at sharp colour
edges where 4:2:2 halves the chroma; ProRes 4444 XQ: 1.6e-3 / 1.0e-3 / 0.026; DNxHR HQX: 4.4e-3 / 3.5e-3 /
0.13; DNxHR 444: 2.8e-3 / 1.5e-3 / 0.014); the asserted bounds leave some headroom above those.
"""
from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from answerprint.core.errors import MediaError, OutputError
from answerprint.core.frames import BT709, ColorTags, OutputSpec, open_writer, probe
from answerprint.core.frames.media import check_dimensions
from answerprint.core.frames.video import MovieReader, MovieWriter

from conftest import file_digest, photo_frames, ramp_frame

#: Ramp frames are wider than 256 pixels so that a 10-bit path can show more than 256 levels in one row.
RAMP_W, RAMP_H = 512, 288
SMALL_W, SMALL_H = 256, 144


def write_movie(path: Path, frames: list[np.ndarray], codec: str = "prores_422hq", **changes) -> Path:
    """Write ``frames`` with answerprint's own writer; ``changes`` override OutputSpec fields."""
    height, width = frames[0].shape[:2]
    fields = dict(path=str(path), codec=codec, width=width, height=height, frame_rate=Fraction(25))
    writer = open_writer(OutputSpec(**{**fields, **changes}))
    for number, pixels in enumerate(frames):
        writer.write(number, pixels)
    assert writer.finish() == [str(path)]
    return path


def encode_with_pyav(path: Path, encoder: str, pixel_format: str, frames: list[np.ndarray],
                     options: dict[str, str] | None = None, matrix: str = "ITU709", tag: bool = True) -> Path:
    """A movie another application might deliver: ``frames`` converted with ``matrix`` (legal range).

    With ``tag=False`` neither the stream nor the frames say which matrix or range they use.
    """
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(encoder, rate=25, options=options or {})
        stream.width, stream.height, stream.pix_fmt = width, height, pixel_format
        if tag:
            context = stream.codec_context
            context.color_primaries = context.color_trc = context.colorspace = context.color_range = 1
        for number, pixels in enumerate(frames):
            codes = np.round(pixels * 65535).astype(np.uint16)
            picture = av.VideoFrame.from_ndarray(codes, format="rgb48le").reformat(
                format=pixel_format, dst_colorspace=matrix, dst_color_range="MPEG", threads=1)
            if not tag:
                picture.colorspace, picture.color_range = 2, 0
            picture.pts = number
            container.mux(stream.encode(picture))
        container.mux(stream.encode(None))
    return path


def read_all(path: Path, frame_numbers=None) -> dict[int, np.ndarray]:
    with MovieReader(path) as reader:
        return dict(reader.read(frame_numbers))


def levels_in_row(pixels: np.ndarray, row: int = 0) -> int:
    """Distinct red code values across one row (an 8-bit path can give at most 256)."""
    return len(np.unique(pixels[row, :, 0]))


@pytest.mark.parametrize("codec, profile, bit_depth, ramp_bound, mean_bound, worst_bound", [
    ("prores_422hq", "HQ", 10, 3e-3, 4e-3, 0.2),
    ("prores_4444xq", "XQ", 12, 2e-3, 1.5e-3, 0.04),  # ProRes 4444 decodes as 12-bit
    ("dnxhr_hqx", "DNXHR HQX", 10, 6e-3, 5e-3, 0.2),
    ("dnxhr_444", "DNXHR 444", 10, 4e-3, 2.5e-3, 0.03),
])
def test_10bit_master_keeps_more_than_256_levels_with_bt709_legal_tags(tmp_path, codec, profile, bit_depth,
                                                                        ramp_bound, mean_bound, worst_bound):
    ramp = ramp_frame(RAMP_W, RAMP_H)
    path = write_movie(tmp_path / f"{codec}.mov", [ramp, ramp], codec)
    info = probe(path)
    assert info.profile == profile and info.bit_depth == bit_depth
    assert info.color_tags == BT709
    decoded = read_all(path)[0]
    assert decoded.dtype == np.float32 and decoded.shape == (RAMP_H, RAMP_W, 3)
    assert levels_in_row(decoded) > 256
    error = np.abs(decoded - ramp)
    assert error[0].max() < ramp_bound
    assert error.mean() < mean_bound
    assert error.max() < worst_bound


@pytest.mark.parametrize("codec, written_range", [("dnxhr_444", "pc"), ("prores_4444xq", "tv")])
def test_full_range_request_is_kept_where_the_format_allows_and_pixels_stay_right(tmp_path, codec,
                                                                                 written_range):
    ramp = ramp_frame(RAMP_W, RAMP_H)
    path = write_movie(tmp_path / "full.mov", [ramp], codec, color_tags=ColorTags("bt709", "bt709", "bt709", "pc"))
    assert probe(path).color_tags.range == written_range
    assert np.abs(read_all(path)[0][0] - ramp[0]).max() < 5e-3


def test_prores_from_a_photograph_is_code_for_code_a_one_thread_conversion(tmp_path):
    """The writer's RGB → Y'CbCr 4:2:2 equals swscale on one thread: FFmpeg 8's sliced conversion (two or more
    threads) writes wrong chroma, at random, into the first pixels of a slice. A race: with two threads this
    test caught it in one run in three under pytest (three in five as a script) on two cores, never falsely."""
    frames = photo_frames(998, 64, 8)
    frames[1] = frames[1] * 1.3 - 0.15  # clipped at both ends
    ours = read_all(write_movie(tmp_path / "ours.mov", frames, color_tags=BT709))
    one_thread = read_all(encode_with_pyav(tmp_path / "reference.mov", "prores_ks", "yuv422p10le",
                                           [np.clip(frame, 0, 1) for frame in frames], {"profile": "hq"}))
    assert all(np.array_equal(ours[number], one_thread[number]) for number in range(len(frames)))
    error = np.abs(ours[0] - frames[0])
    assert error.mean() < 4e-3 and error.max() < 0.2


def test_decode_encode_decode_round_trip_keeps_more_than_256_levels(tmp_path):
    ramp = ramp_frame(RAMP_W, RAMP_H)
    first = read_all(write_movie(tmp_path / "camera.mov", [ramp]))[0]
    second = read_all(write_movie(tmp_path / "graded.mov", [first], "prores_4444xq"))[0]
    assert levels_in_row(second) > 256
    assert np.abs(second[0] - ramp[0]).max() < 4e-3


@pytest.mark.parametrize("codec, rate, timecode, pixel_aspect", [
    ("prores_422hq", Fraction(24000, 1001), "01:00:00:00", Fraction(1)),
    ("prores_4444xq", Fraction(30000, 1001), "01:00:00;00", Fraction(1)),
    ("dnxhr_hqx", Fraction(25), "10:00:00:00", Fraction(2)),
])
def test_rate_timecode_and_pixel_aspect_survive_the_write(tmp_path, codec, rate, timecode, pixel_aspect):
    frames = photo_frames(SMALL_W, SMALL_H, 3)
    path = write_movie(tmp_path / "shot.mov", frames, codec, frame_rate=rate, timecode=timecode,
                       pixel_aspect=pixel_aspect)
    info = probe(path)
    assert info.frame_rate == rate and isinstance(info.frame_rate, Fraction)
    assert info.timecode == timecode and info.drop_frame == (";" in timecode)
    assert info.pixel_aspect == pixel_aspect
    assert (info.width, info.height, info.frame_count, info.first_frame) == (SMALL_W, SMALL_H, 3, 0)


@pytest.mark.parametrize("name, encoder, pixel_format, bit_depth, options", [
    ("h264_8bit.mp4", "libx264", "yuv420p", 8, {"preset": "ultrafast", "crf": "4"}),
    ("hevc_10bit.mov", "libx265", "yuv420p10le", 10,
     {"preset": "ultrafast", "crf": "4", "x265-params": "log-level=error:bframes=0"}),
    ("hevc_12bit_444.mkv", "libx265", "yuv444p12le", 12,
     {"preset": "ultrafast", "crf": "4", "x265-params": "log-level=error:bframes=0"}),
])
def test_delivery_codecs_report_their_bit_depth_and_keep_deep_levels(tmp_path, name, encoder, pixel_format,
                                                                     bit_depth, options):
    ramp = ramp_frame(RAMP_W, RAMP_H)
    path = encode_with_pyav(tmp_path / name, encoder, pixel_format, [ramp, ramp], options)
    info = probe(path)
    assert info.bit_depth == bit_depth and info.pixel_format == pixel_format
    decoded = read_all(path)
    assert sorted(decoded) == [0, 1]
    assert np.abs(decoded[0] - ramp).mean() < 0.01
    if bit_depth > 8:
        assert levels_in_row(decoded[0]) > 256


def test_untagged_sd_footage_decodes_as_bt601(tmp_path):
    # A flat orange chart patch: a wrong matrix shifts it by about 0.025, the right one leaves < 1e-3.
    patch = [np.broadcast_to(np.float32([0.85, 0.45, 0.15]), (SMALL_H, SMALL_W, 3)).copy()]
    path = encode_with_pyav(tmp_path / "untagged_sd.mov", "prores_ks", "yuv422p10le", patch, {"profile": "hq"},
                            matrix="ITU601", tag=False)
    assert probe(path).color_tags.matrix == "unknown"
    assert np.abs(read_all(path)[0] - patch[0]).max() < 1e-3


def test_reading_frames_3_to_5_returns_exactly_those_pixels(tmp_path, frames_hd_small):
    path = write_movie(tmp_path / "pan.mov", frames_hd_small)
    everything = read_all(path)
    subset = read_all(path, [5, 3, 4, 4])
    assert list(subset) == [3, 4, 5]
    for number, pixels in subset.items():
        np.testing.assert_array_equal(pixels, everything[number])


def test_long_gop_h264_subset_seeks_to_the_right_frames(tmp_path, frames_hd_small):
    path = encode_with_pyav(tmp_path / "gop.mp4", "libx264", "yuv420p", frames_hd_small,
                            {"preset": "ultrafast", "g": "3", "bf": "2"})
    everything = read_all(path)
    assert list(everything) == list(range(8))
    subset = read_all(path, [1, 5, 6])
    assert list(subset) == [1, 5, 6]
    for number, pixels in subset.items():
        np.testing.assert_array_equal(pixels, everything[number])


def test_asking_past_the_end_names_the_missing_frame(tmp_path, frames_hd_small):
    path = write_movie(tmp_path / "short.mov", frames_hd_small)
    with pytest.raises(MediaError, match=r"frame 9 is missing") as caught:
        read_all(path, [7, 9])
    assert "short.mov" in str(caught.value)


def test_damaged_frame_is_reported_by_number_and_the_rest_still_reads(tmp_path, frames_hd_small):
    path = write_movie(tmp_path / "damaged.mov", frames_hd_small)
    with av.open(str(path)) as container:
        packets = [(packet.pos, packet.size) for packet in container.demux(video=0) if packet.size]
    position, size = packets[3]
    data = bytearray(path.read_bytes())
    data[position:position + size] = np.random.default_rng(3).bytes(size)
    path.write_bytes(bytes(data))
    digest = file_digest(path)
    with MovieReader(path) as reader:
        seen = []
        with pytest.raises(MediaError, match="frame 3") as caught:
            for number, _ in reader.read():
                seen.append(number)
        assert seen == [0, 1, 2] and "damaged.mov" in str(caught.value)
        assert [number for number, _ in reader.read([5, 6])] == [5, 6]
    assert file_digest(path) == digest


def _truncated(tmp_path: Path) -> Path:
    whole = write_movie(tmp_path / "whole.mov", photo_frames(SMALL_W, SMALL_H, 4)).read_bytes()
    path = tmp_path / "truncated.mov"
    path.write_bytes(whole[:len(whole) // 2])
    return path


def _corrupt(tmp_path: Path) -> Path:
    path = tmp_path / "corrupt.mov"
    path.write_bytes(np.random.default_rng(7).bytes(200_000))
    return path


def _mpeg4(tmp_path: Path) -> Path:
    return encode_with_pyav(tmp_path / "proxy_mpeg4.mov", "mpeg4", "yuv420p", photo_frames(SMALL_W, SMALL_H, 2))


def _mpeg2(tmp_path: Path) -> Path:
    return encode_with_pyav(tmp_path / "dvd_mpeg2.mov", "mpeg2video", "yuv420p", photo_frames(SMALL_W, SMALL_H, 2))


def _audio_only(tmp_path: Path) -> Path:
    path = tmp_path / "production_sound.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=48000, layout="mono")
        samples = av.AudioFrame.from_ndarray(np.zeros((1, 4800), np.int16), format="s16", layout="mono")
        samples.sample_rate, samples.pts = 48000, 0
        container.mux(stream.encode(samples))
        container.mux(stream.encode(None))
    return path


def _absurdly_wide(tmp_path: Path) -> Path:
    path = tmp_path / "absurd_17000x16.y4m"
    path.write_bytes(b"YUV4MPEG2 W17000 H16 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(17000 * 16 * 3 // 2))
    return path


@pytest.mark.parametrize("make, problem", [
    (_truncated, "truncated"),
    (_corrupt, "corrupt"),
    (_mpeg4, "unsupported codec 'mpeg4'"),
    (_mpeg2, "unsupported codec 'mpeg2video'"),
    (_audio_only, "no video stream"),
    (_absurdly_wide, "absurd frame size 17000x16"),
])
def test_bad_source_is_refused_naming_the_file_and_left_untouched(tmp_path, make, problem):
    path = make(tmp_path)
    digest = file_digest(path)
    with pytest.raises(MediaError) as caught:
        with MovieReader(path) as reader:
            list(reader.read())
    message = str(caught.value)
    assert str(path) in message and problem in message and "\n" not in message
    assert file_digest(path) == digest


def test_missing_source_says_no_such_file(tmp_path):
    with pytest.raises(MediaError, match="no such file"):
        MovieReader(tmp_path / "A001C001.mov")


def test_absurd_dimensions_are_refused_before_allocation():
    with pytest.raises(MediaError, match="absurd frame size"):
        check_dimensions(40000, 40000, "plate.mov")
    check_dimensions(4096, 2160, "plate.mov")


def _spec(path: Path | str, codec: str = "prores_422hq", **changes) -> OutputSpec:
    return OutputSpec(**{**dict(path=str(path), codec=codec, width=SMALL_W, height=SMALL_H,
                                frame_rate=Fraction(24000, 1001)), **changes})


def test_nothing_appears_under_the_final_name_until_finish(tmp_path, frames_hd_small):
    final = tmp_path / "master.mov"
    writer = MovieWriter(_spec(final))
    for number, pixels in enumerate(frames_hd_small):
        writer.write(number, pixels)
        assert not final.exists() and Path(writer.temp_path).exists()
    assert Path(writer.temp_path).parent == tmp_path and writer.temp_path.endswith(".mov")
    assert writer.finish() == [str(final)]
    assert sorted(os.listdir(tmp_path)) == ["master.mov"]
    assert probe(final).frame_count == 8


def test_abort_removes_the_partial_file_and_keeps_an_existing_master(tmp_path, frames_hd_small):
    final = tmp_path / "master.mov"
    final.write_bytes(b"yesterday's approved master")
    digest = file_digest(final)
    writer = MovieWriter(_spec(final))
    writer.write(0, frames_hd_small[0])
    writer.abort()
    assert sorted(os.listdir(tmp_path)) == ["master.mov"] and file_digest(final) == digest
    replacing = MovieWriter(_spec(final))
    replacing.write(0, frames_hd_small[0])
    assert file_digest(final) == digest
    replacing.finish()
    assert probe(final).codec == "prores"


@pytest.mark.parametrize("where", ["missing_folder", "file_as_folder"])
def test_output_into_a_folder_that_is_not_there_is_refused(tmp_path, where):
    if where == "file_as_folder":
        (tmp_path / "renders").write_bytes(b"not a folder")
    final = tmp_path / "renders" / "master.mov"
    with pytest.raises(OutputError) as caught:
        MovieWriter(_spec(final))
    assert str(final) in str(caught.value)


@pytest.mark.parametrize("changes, problem", [
    (dict(codec="exr"), "not a movie codec"),
    (dict(path="master.mp4"), "QuickTime"),
    (dict(path="master.mxf", codec="dnxhr_hqx"), "MXF"),
    (dict(timecode="01:00:00;00", frame_rate=Fraction(25)), "drop-frame"),
    (dict(color_tags=ColorTags("bt709", "bt709", "bt2020c", "tv")), "matrix"),
])
def test_outputs_answerprint_cannot_write_faithfully_are_refused(tmp_path, changes, problem):
    changes["path"] = str(tmp_path / changes.get("path", "master.mov"))
    with pytest.raises(OutputError, match=problem):
        MovieWriter(_spec(**changes))
    assert os.listdir(tmp_path) == []


def test_frames_the_movie_cannot_take_are_refused(tmp_path, frames_hd_small):
    writer = MovieWriter(_spec(tmp_path / "master.mov"))
    with pytest.raises(OutputError, match="shape"):
        writer.write(0, photo_frames(320, 180, 1)[0])
    with pytest.raises(OutputError, match="NaN"):
        writer.write(0, np.full((SMALL_H, SMALL_W, 3), np.nan, np.float32))
    writer.write(0, frames_hd_small[0])
    with pytest.raises(OutputError, match="in order"):
        writer.write(2, frames_hd_small[2])
    writer.abort()
    assert os.listdir(tmp_path) == []


def test_disk_full_raises_output_error_naming_the_file_and_leaves_nothing(tmp_path):
    # A child process may write at most 150 kB per file: the movie fails part-way, as on a full disk.
    final = tmp_path / "full.mov"
    code = f"""
import resource, signal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))
from fractions import Fraction
import numpy as np
from answerprint.core.errors import OutputError
from answerprint.core.frames import OutputSpec
from answerprint.core.frames.video import MovieWriter
writer = MovieWriter(OutputSpec({str(final)!r}, "prores_4444xq", 320, 180, Fraction(25)))
noise = np.random.default_rng(0).random((40, 180, 320, 3), dtype=np.float32)
try:
    for number, pixels in enumerate(noise):
        writer.write(number, pixels)
    writer.finish()
except OutputError as error:
    writer.abort()
    print(error)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert str(final) in result.stdout and "File too large" in result.stdout
    assert os.listdir(tmp_path) == []


def test_the_camera_letter_is_read_from_the_reel_name_of_the_timecode_track(tmp_path):
    path = tmp_path / "A004C007.mov"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("prores_ks", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 32, "yuv422p10le"
        stream.metadata["timecode"], stream.metadata["reel_name"] = "01:00:00:00", "A004R1AB"
        frame = av.VideoFrame.from_ndarray(np.zeros((32, 64, 3), np.uint8), format="rgb24")
        for packet in [*stream.encode(frame.reformat(format="yuv422p10le")), *stream.encode()]:
            container.mux(packet)
    info = probe(str(path))
    assert info.camera == "A" and info.timecode == "01:00:00:00"
