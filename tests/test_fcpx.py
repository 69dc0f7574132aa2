"""Final Cut Pro X documents as Final Cut structures them: what is read where, and what is written back.

The document has the features of the library otio-fcpx-xml-adapter tests against (a ``clip`` holding a
``video`` and its ``audio``, a gap carrying a secondary storyline with a transition, a compound clip) and a
``sync-clip`` of picture and separate sound. Clips must land on the right tracks at the right frames, show
the right source frames, and conform back, in a ``.fcpxml`` file and in an ``.fcpxmld`` bundle.
"""
from __future__ import annotations

from fractions import Fraction

import pytest

from answerprint.core.cli import main
from answerprint.plugin.otio.timeline_io import open_edit

from conform_check import assert_conforms
from media_makers import write_long_clip


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fcpx_media")
    return {"A": write_long_clip(folder / "A001C003.mov", 72, Fraction(24), "01:00:00:00"),
            "B": write_long_clip(folder / "B002C011.mov", 72, Fraction(24), "02:00:00:00", name="coffee")}


def document(media) -> str:
    a, b = (f"file://{media[key]}" for key in ("A", "B"))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE fcpxml>
<fcpxml version="1.8">
  <resources>
    <format id="r1" name="FFVideoFormat1080p24" frameDuration="100/2400s" width="64" height="36"/>
    <asset id="r2" name="A001C003" src="{a}" start="3600s" duration="3s" hasVideo="1" hasAudio="1" format="r1"/>
    <asset id="r3" name="B002C011" src="{b}" start="7200s" duration="3s" hasVideo="1" hasAudio="1" format="r1"/>
    <asset id="r4" name="SOUND_01" src="file:///Volumes/Sound/SOUND_01.wav" start="0s" duration="60s" hasAudio="1"/>
    <media id="r5" name="compound_clip_1">
      <sequence duration="1s" format="r1" tcStart="0s"><spine>
        <asset-clip name="A001C003" offset="0s" ref="r2" duration="1s" start="3601s"/>
      </spine></sequence>
    </media>
    <effect id="r6" name="Cross Dissolve" uid="FxPlug:4731E73A-8DAC-4113-9A30-AE85B1761265"/>
  </resources>
  <library location="file:///Volumes/Media/Show.fcpbundle/">
    <event name="Day 1" uid="E1">
      <project name="Assembly" uid="P1">
        <sequence duration="54/24s" format="r1" tcStart="3600s" tcFormat="NDF">
          <spine>
            <clip name="A001C003" offset="0s" duration="10/24s" start="86404/24s" tcFormat="NDF">
              <video offset="3600s" ref="r2" start="3600s" duration="3s"/>
              <audio lane="-1" offset="3600s" ref="r2" start="3600s" duration="3s" role="dialogue"/>
              <marker start="86405/24s" duration="1/24s" value="check focus"/>
            </clip>
            <sync-clip name="B002C011 synced" offset="10/24s" duration="8/24s" start="7201s" tcFormat="NDF">
              <asset-clip name="B002C011" offset="7200s" ref="r3" start="7200s" duration="3s" srcEnable="video"/>
              <asset-clip name="SOUND_01" lane="-1" offset="7200s" ref="r4" start="12s" duration="3s"/>
            </sync-clip>
            <gap name="Gap" offset="18/24s" duration="12/24s" start="3600s">
              <spine lane="1" offset="3600s">
                <asset-clip name="A001C003" offset="0s" ref="r2" duration="6/24s" start="3602s"/>
                <transition name="Cross Dissolve" offset="4/24s" duration="4/24s">
                  <filter-video ref="r6" name="Cross Dissolve"/>
                </transition>
                <asset-clip name="B002C011" offset="6/24s" ref="r3" duration="6/24s" start="7202s"/>
              </spine>
            </gap>
            <ref-clip name="compound_clip_1" ref="r5" offset="30/24s" duration="1s"/>
          </spine>
        </sequence>
      </project>
    </event>
  </library>
</fcpxml>
"""


#: Per clip, in track order: the source frames it shows (None: not rendered).
SHOWN = [list(range(4, 14)), list(range(24, 32)), None, list(range(48, 54)), list(range(48, 54))]


def test_tracks_frames_and_transitions_are_read_where_final_cut_puts_them(media, tmp_path):
    path = tmp_path / "Show.fcpxml"
    path.write_text(document(media))
    edit = open_edit(str(path), str(tmp_path / "unpack"))
    (timeline,) = edit.timelines
    assert timeline.name == "Day 1/Assembly" and timeline.global_start_time.value == 86400
    layout = [[(type(item).__name__, item.name, item.range_in_parent().start_time.value,
                item.range_in_parent().duration.value) for item in track if type(item).__name__ != "Transition"]
              for track in timeline.video_tracks()]
    assert layout == [[("Clip", "A001C003", 0, 10), ("Clip", "B002C011", 10, 8), ("Gap", "", 18, 12),
                       ("Clip", "compound_clip_1", 30, 24)],
                      [("Gap", "", 0, 18), ("Clip", "A001C003", 18, 6), ("Clip", "B002C011", 24, 6)]]
    transition = timeline.video_tracks()[1][2]
    assert (transition.in_offset.value, transition.out_offset.value) == (2, 2), "centred on the cut at 24"


@pytest.mark.parametrize("bundle", [False, True])
def test_a_library_conforms_back_the_compound_clip_reported(media, tmp_path, capsys, bundle):
    path = tmp_path / ("Show.fcpxmld" if bundle else "Show.fcpxml")
    if bundle:
        path.mkdir()
        (path / "Info.fcpxml").write_text(document(media))
    else:
        path.write_text(document(media))
    out = tmp_path / "out"
    assert main(["render", str(path), "--effect", "identity", "--handles", "1", "--out", str(out)]) == 0
    err = capsys.readouterr().err.replace("\n", "")
    assert "offline: compound_clip_1: a compound clip, shared by every use of it" in err
    written = out / ("Show_identity.fcpxmld" if bundle else "Show_identity.fcpxml")
    assert written.is_dir() == bundle
    text = (written / "Info.fcpxml" if bundle else written).read_text()
    assert '<asset-clip name="A001C003" offset="0s" ref="r2" duration="1s" start="3601s" />' in text, \
        "the compound clip's own clips are left alone"
    assert 'ref="r4" start="12s"' in text and 'value="check focus"' in text, "sound and markers kept"
    assert '<audio lane="-1" offset="3600s" ref="r2"' in text, "the clip's own audio stays on the camera file"
    assert assert_conforms(str(path), str(written), str(out), expected=SHOWN) == 4


def test_a_time_map_gives_one_speed_where_the_clip_is_seen_and_none_across_a_change():
    import xml.etree.ElementTree as ElementTree

    from answerprint.plugin.otio.fcpx import _linear_map

    # 100 % for 2 s, a 1 s hold, then 50 % (Final Cut's speed segments)
    time_map = ElementTree.fromstring('<timeMap><timept time="0s" value="3600s" interp="smooth2"/>'
                                      '<timept time="2s" value="3602s" interp="smooth2"/>'
                                      '<timept time="3s" value="3602s" interp="smooth2"/>'
                                      '<timept time="5s" value="3603s" interp="smooth2"/></timeMap>')
    assert _linear_map(time_map, Fraction(1, 2), Fraction(1)) == (Fraction(7201, 2), 1)
    assert _linear_map(time_map, Fraction(2), Fraction(1, 2)) == (3602, 0), "inside the hold: a freeze frame"
    assert _linear_map(time_map, Fraction(4), Fraction(2)) == (Fraction(7205, 2), Fraction(1, 2)), \
        "past the last point it goes on at 50 %"
    assert _linear_map(time_map, Fraction(1), Fraction(3, 2)) is None, "across a change of speed: a ramp"
