"""Which OpenColorIO config answerprint uses, and how colour-space names are resolved in it.

The default is a *pinned, versioned* ACES studio config compiled into OpenColorIO, never the moving
``ocio://studio-config-latest`` alias: a render made today must convert the same way next year. A user
config is taken from an explicit path/URI, else from ``$OCIO``.
"""
from __future__ import annotations

import functools
import os

import PyOpenColorIO as ocio

from ..errors import ColorError

#: ACES 2.1 studio config for OCIO 2.6: camera logs (ARRI, Sony, Panasonic, RED, Canon, ...), ACES spaces.
PINNED_CONFIG = "ocio://studio-config-v5.0.0_aces-v2.1_ocio-v2.6"


def config_uri(explicit: str | os.PathLike | None = None) -> str:
    """The config to use: ``explicit`` if given, else ``$OCIO``, else ``PINNED_CONFIG``."""
    if explicit:
        return os.fspath(explicit)
    return os.environ.get("OCIO") or PINNED_CONFIG


@functools.lru_cache(maxsize=8)
def load_config(uri: str | None = None) -> ocio.Config:
    """Load (once per process) the OCIO config at ``uri`` (a path or an ``ocio://`` built-in name).

    Raises
    ------
    ColorError
        When the file or built-in name cannot be loaded.
    """
    uri = config_uri(uri)
    try:
        config = ocio.Config.CreateFromFile(uri)
        config.validate()
    except (ocio.Exception, ocio.ExceptionMissingFile, OSError) as error:
        reason = "the file does not exist" if isinstance(error, ocio.ExceptionMissingFile) else str(error)
        raise ColorError(f"cannot load the OCIO config: {reason}", uri) from None
    return config


def resolve_space(config: ocio.Config, name: str, where: str = "colour space") -> str:
    """The canonical name of colour space (or alias, or role) ``name`` in ``config``.

    Raises
    ------
    ColorError
        When nothing in the config has that name; the message suggests close names.
    """
    space = config.getColorSpace(name)
    if space is None and config.hasRole(name):
        space = config.getColorSpace(config.getRoleColorSpace(name))
    if space is None:
        wanted = name.lower().replace(" ", "").replace("_", "")
        close = [cs.getName() for cs in config.getColorSpaces()
                 if wanted[:4] in cs.getName().lower().replace(" ", "").replace("_", "")]
        hint = f"; did you mean {', '.join(close[:4])}?" if close else "; run 'answerprint probe --spaces' for the list"
        raise ColorError(f"unknown colour space {name!r}{hint}", where)
    return space.getName()


def space_names(config: ocio.Config) -> list[tuple[str, list[str]]]:
    """Every colour space of ``config`` with its aliases, in config order."""
    return [(cs.getName(), list(cs.getAliases())) for cs in config.getColorSpaces()]
