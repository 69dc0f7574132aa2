"""The relight effect's parameters: one definition for the CLI, the panel, the pack manifest and the hosts.

Conventions shared with the panel:

- a light's position is ``light_x`` / ``light_y`` in [0, 1], fractions of the frame's width and height from
  its top-left corner (widget ``screen_xy``); its reach ``light_radius`` is a fraction of the frame's width
  (widget ``screen_radius``);
- intensities are in stops of the shading (scene-linear light, ACEScg), 0 leaves the picture untouched;
- light colour is a correlated colour temperature in kelvin and a tint along the green–magenta axis
  (widgets ``kelvin`` and ``tint``), relative to the light already on the shot: 6500 K and no tint add light
  of that same colour, lower is warmer;
- ``reference`` names a frame or clip of a reference take whose lighting ``match_amount`` transfers
  (widget ``reference``);
- ``light_mode`` ``replace_key`` turns the light controls into the shot's new key: a directional light from
  ``light_azimuth`` / ``light_elevation`` replaces the current key described by ``key_azimuth``,
  ``key_elevation``, ``key_kelvin`` and ``ambient_share`` (an even fill plus one key, on Lambertian surfaces);
- ``normals`` ``depth_map`` takes surface orientation from a depth or disparity pass of the shot, a still or
  one frame per frame of the shot (``depth_map``, ``depth_kind``, ``depth_focal_px``, ``depth_smoothing_px``;
  see ``depth_pass``).

Every operation acts on the shading layer only (image = reflectance × shading); the surfaces' colours and
textures stay as they are.
"""
from __future__ import annotations

from ...params import Param, ParamSchema

#: The space relight works in: scene-linear (ACEScg in the pinned config), where light adds.
WORKING_SPACE = "scene_linear"
LIGHT_TYPES = ("point", "spot", "area", "directional")
LIGHT_MODES = ("add", "replace_key")
NORMALS_SOURCES = ("from_shading", "flat", "depth_map")
DEPTH_KINDS = ("depth", "disparity")
REVIEW_MODES = ("result", "reflectance", "shading", "light")
NEUTRAL_KELVIN = 6500.0


def relight_params() -> ParamSchema:
    """The relight effect's parameters (positions in frame fractions, intensities in stops of scene-linear light)."""
    return ParamSchema([
        Param("light_mode", "enum", "add", choices=LIGHT_MODES, label="Light mode",
              doc="add: add the light below to the shot's light; replace_key: the shot's key light (described by "
                  "the Current key controls) is taken away and a directional key from the light's azimuth and "
                  "elevation, colour and intensity put in its place (light type and position are not used)."),
        Param("light_type", "enum", "point", choices=LIGHT_TYPES, label="Light",
              doc="point: a bulb above the picture at the chosen position, fading with distance; spot: a "
                  "hard-edged pool of light of the chosen radius; area: a broad soft source; directional: a sun "
                  "from the chosen azimuth and elevation over the whole frame (needs normals to model shape)."),
        Param("light_x", "float", 0.5, minimum=0.0, maximum=1.0, unit="frame width", label="Light X",
              doc="Horizontal position of the light, as a fraction of the frame's width from the left edge.",
              widget="screen_xy", step=0.01),
        Param("light_y", "float", 0.5, minimum=0.0, maximum=1.0, unit="frame height", label="Light Y",
              doc="Vertical position of the light, as a fraction of the frame's height from the top edge.",
              widget="screen_xy", step=0.01),
        Param("light_radius", "float", 0.3, minimum=0.01, maximum=2.0, unit="frame width", label="Radius",
              doc="Reach of a point, spot or area light as a fraction of the frame's width (a point light's "
                  "height above the picture as well).", widget="screen_radius", step=0.01),
        Param("light_falloff", "float", 0.5, minimum=0.0, maximum=1.0, label="Falloff",
              doc="Softness of the light's edge: the fraction of the radius over which it fades out (0 = hard "
                  "edge, 1 = fades from its centre).", widget="slider", step=0.05),
        Param("light_stops", "float", 0.0, minimum=-6.0, maximum=6.0, unit="stops", label="Intensity",
              doc="Light added where the light falls, in stops over the shot's median shading (+1 doubles a "
                  "surface lit at the median, lifts darker ones more; 0 = no light; negative values take that "
                  "share of the light away, as a flag would). With replace_key: the new key's strength relative "
                  "to the current key's (0 = as strong).", widget="slider", step=0.1),
        Param("light_kelvin", "float", NEUTRAL_KELVIN, minimum=1800.0, maximum=16000.0, unit="K",
              label="Colour temperature",
              doc="Colour of the added light relative to the shot's own light (6500 K = the same colour; lower "
                  "is warmer, higher cooler). With replace_key: the new key's colour relative to the ambient "
                  "light's (6500 K = the same colour).",
              widget="kelvin", step=50.0),
        Param("light_tint", "float", 0.0, minimum=-1.0, maximum=1.0, label="Tint",
              doc="Green (negative) to magenta (positive) shift of the added light's colour.", widget="tint",
              step=0.01),
        Param("light_azimuth", "float", 135.0, minimum=-180.0, maximum=180.0, unit="degrees", label="Azimuth",
              doc="Direction the light comes from on screen, counter-clockwise from the right (90 = from the "
                  "top); used by directional and spot lights on surfaces with normals.", widget="slider",
              step=1.0),
        Param("light_elevation", "float", 45.0, minimum=0.0, maximum=90.0, unit="degrees", label="Elevation",
              doc="Angle of the light above the picture plane (90 = straight from the camera's direction).",
              widget="slider", step=1.0),
        Param("key_azimuth", "float", 135.0, minimum=-180.0, maximum=180.0, unit="degrees", label="Current key azimuth",
              doc="replace_key only: direction the shot's current key comes from on screen, counter-clockwise "
                  "from the right (90 = from the top, 180 = from the left).", widget="slider", step=1.0),
        Param("key_elevation", "float", 45.0, minimum=0.0, maximum=90.0, unit="degrees",
              label="Current key elevation",
              doc="replace_key only: angle of the current key above the picture plane (90 = from the camera's "
                  "direction).", widget="slider", step=1.0),
        Param("key_kelvin", "float", NEUTRAL_KELVIN, minimum=1800.0, maximum=16000.0, unit="K",
              label="Current key colour",
              doc="replace_key only: colour temperature of the current key relative to the ambient light's "
                  "(6500 K = the same colour; lower is warmer).", widget="kelvin", step=50.0),
        Param("ambient_share", "float", 0.3, minimum=0.01, maximum=10.0, unit="× key", label="Ambient level",
              doc="replace_key only: the shot's even ambient (fill) light relative to what the current key "
                  "gives a surface facing it (0.3 = the fill is 30 % of the key; light that stays when the key "
                  "is taken away).", widget="slider", step=0.01),
        Param("normals", "enum", "from_shading", choices=NORMALS_SOURCES, label="Surface normals",
              doc="from_shading: estimate surface orientation from the decomposed shading so lights model "
                  "shape; flat: treat the picture as a flat surface facing the camera (a pure 2-D light); "
                  "depth_map: derive it from the shot's depth or disparity pass (Depth pass)."),
        Param("depth_map", "path", None, label="Depth pass",
              doc="depth_map normals only: the shot's depth or disparity (EXR or TIFF, float; the first channel "
                  "is used), of the shot's aspect ratio (resized to it): one still for every frame, or a "
                  "sequence (depth.%04d.exr) or movie numbered as the shot, frame N used for the shot's frame N."),
        Param("depth_kind", "enum", "depth", choices=DEPTH_KINDS, label="Depth pass holds",
              doc="depth: distance from the camera along its axis (any unit); disparity: stereo disparity or "
                  "inverse depth (any unit, larger = nearer)."),
        Param("depth_focal_px", "float", 1000.0, minimum=1.0, maximum=100000.0, unit="px",
              label="Depth pass focal length",
              doc="Focal length of the camera in pixels of the depth pass's width (focal mm ÷ sensor width mm "
                  "× pass width px): how much a depth step tilts the surface.", step=1.0),
        Param("depth_smoothing_px", "float", 1.0, minimum=0.0, maximum=20.0, unit="px",
              label="Depth pass smoothing",
              doc="Gaussian σ applied to the depth pass before surface normals are taken from it, in pixels of "
                  "the pass (raise for noisy LiDAR or stereo passes).", widget="slider", step=0.1),
        Param("key_fill_stops", "float", 0.0, minimum=-4.0, maximum=4.0, unit="stops", label="Key/fill ratio",
              doc="Change of the ratio between the brightest and darkest lit areas of the shading, in stops "
                  "(+1 doubles the key-to-fill ratio; reflectance untouched).", widget="slider", step=0.1),
        Param("shadow_lift", "float", 0.0, minimum=0.0, maximum=2.0, unit="× median shading",
              label="Shadow lift", doc="Even fill light added to the shading, as a multiple of the shot's "
                                       "median shading: lifts shadows most, as a bounce card would.",
              widget="slider", step=0.01),
        Param("highlight_rolloff", "float", 0.0, minimum=0.0, maximum=1.0, label="Highlight roll-off",
              doc="How strongly shading above two stops over the median is compressed towards it (0 = off, "
                  "1 = strongest); surface colour in the highlights is kept.", widget="slider", step=0.05),
        Param("reference", "path", None, label="Reference take",
              doc="A frame or clip of a reference take whose lighting (shading level, contrast and colour) "
                  "is matched.", widget="reference"),
        Param("match_amount", "float", 1.0, minimum=0.0, maximum=1.0, label="Match amount",
              doc="How much of the reference take's lighting is transferred (used only with a reference).",
              widget="slider", step=0.05),
        Param("temporal_radius", "int", 2, minimum=0, maximum=4, unit="frames", label="Temporal radius",
              doc="Neighbouring frames on each side whose shading statistics are pooled so the relight does "
                  "not flicker (0 = each frame alone)."),
        Param("review", "enum", "result", choices=REVIEW_MODES, label="Review output",
              doc="result: the relit frame; reflectance or shading: the decomposed layers; light: the change "
                  "of shading, in stops around mid grey."),
    ])
