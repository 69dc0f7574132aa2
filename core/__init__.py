"""answerprint.core — frames, colour, packs, runtime, effects and the render engine.

Imports neither torch nor Qt: a colorist's machine needs neither.
"""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("answerprint")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
