"""Parameters defined once, read from the command line; timecode that survives drop-frame."""
from __future__ import annotations

from fractions import Fraction

import pytest

from answerprint.core.effects import available_effects, get_effect
from answerprint.core.errors import ParamError, UsageError
from answerprint.core.frames.timecode import frames_to_timecode, offset_timecode, timecode_to_frames
from answerprint.core.params import Param, ParamSchema, parse_assignments


def test_exposure_reads_stops_from_the_command_line():
    schema = get_effect("exposure").params
    assert schema.resolve(parse_assignments(["stops=1"])) == {"stops": 1.0}
    assert schema.resolve({}) == {"stops": 0.0}


@pytest.mark.parametrize("given, message", [
    (["stops=11"], "outside"), (["stops=abc"], "not a valid float"), (["stops=nan"], "not a valid float"),
    (["gain=2"], "unknown parameter"),
])
def test_bad_parameter_values_are_refused_by_name(given, message):
    with pytest.raises(ParamError, match=message):
        get_effect("exposure").params.resolve(parse_assignments(given))


def test_assignment_without_equals_is_refused():
    with pytest.raises(ParamError, match="name=value"):
        parse_assignments(["stops"])


def test_schema_round_trips_through_json_for_manifests_and_hosts():
    schema = ParamSchema([Param("mode", "enum", "remove", choices=("remove", "keep")),
                          Param("radius", "int", 2, minimum=0, maximum=4, unit="frames"),
                          Param("review", "bool", False)])
    again = ParamSchema.from_json(schema.to_json())
    assert again == schema
    assert again.resolve({"mode": "keep", "radius": "3", "review": "yes"}) == {"mode": "keep", "radius": 3,
                                                                             "review": True}
    with pytest.raises(ParamError):
        again.resolve({"radius": "2.5"})


def test_unknown_effect_lists_the_available_ones():
    assert {"identity", "exposure"} <= set(available_effects())
    with pytest.raises(UsageError, match="available: .*exposure"):
        get_effect("sharpen")


@pytest.mark.parametrize("rate, frame, expected", [
    (Fraction(24), 86400, "01:00:00:00"),
    (Fraction(25), 900000, "10:00:00:00"),
    (Fraction(30000, 1001), 1800, "00:01:00;02"),      # frames 00 and 01 are dropped at each minute...
    (Fraction(30000, 1001), 17982, "00:10:00;00"),     # ...except every tenth minute
    (Fraction(30000, 1001), 107892, "01:00:00;00"),
    (Fraction(24000, 1001), 86400, "01:00:00:00"),     # 23.976 counts 24 frames per timecode second
])
def test_timecode_matches_smpte(rate, frame, expected):
    assert frames_to_timecode(frame, rate) == expected
    assert timecode_to_frames(expected, rate) == frame


def test_timecode_offsets_carry_drop_frame():
    assert offset_timecode("00:00:59;29", 1, Fraction(30000, 1001)) == "00:01:00;02"
