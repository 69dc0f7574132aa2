"""Colour match: LUTs and ``.cube`` files, CDLs, shot match, chart match and the learned production look.

Everything works in ACEScct (``spaces``) and ends as a 3D LUT applied by ``LutProcessor``.

- ``lut``: ``Lut3D`` / ``Lut1D``, tetrahedral (or trilinear) application through OpenColorIO's CPU LUT
  renderer, row-banded.
- ``cube``: strict ``.cube`` reader (``CubeError`` names file and line) and Resolve-dialect writer.
- ``cdl``: ASC CDL fit, apply, ``.cdl`` / ``.ccc`` read and write.
- ``look_fit`` (+ ``look_prior``): the global look — curves-and-matrix prior plus a smooth, monotonic lattice.
- ``delivery``: the look as ``.cube`` files from the footage's space to the graded space, and as a CDL.
- ``pairs``: graded pairs found in two folders, read into ACEScct, misaligned or unusable pairs refused.
- ``transfer`` (+ ``register``): shot match through a common view, or MKL statistics with hold-back.
- ``chart``: ColorChecker detection or four corners, root-polynomial / Cheung fit.
- ``look_pack``: what a ``look`` pack carries in its signed manifest.
- ``metrics``: CIEDE2000 between ACEScct images.
"""
from .cube import CubeError, read_cube, write_cube
from .lut import Lut1D, Lut3D, LutProcessor, apply_lut
from .spaces import WORKING_SPACE, look_domain

__all__ = ["CubeError", "Lut1D", "Lut3D", "LutProcessor", "WORKING_SPACE", "apply_lut", "look_domain", "read_cube",
           "write_cube"]
