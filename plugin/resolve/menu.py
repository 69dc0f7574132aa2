"""The items of Resolve's Workspace › Scripts › answerprint menu, each written from one template.

Every item is the same small launcher (``menu_script.template``, shipped in the package) with its own title,
one line of description and the action it starts (``python -m answerprint.plugin.resolve ACTION``, see
``cli``). ``answerprint resolve install`` writes them; nothing else does, so the files cannot drift apart.
The launcher runs on Resolve's own Python (3.6 or later, standard library only).

The items that render the selected clips through an effect come from the effect registry: one for every
effect declaring a ``menu_title`` (cleanup, relight, and any plug-in effect that declares one). Declaring
effects needs only the standard library (``core.effects.base``), like ``install``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from string import Template

from .status import HANDSHAKE_SECONDS

TEMPLATE = "menu_script.template"
#: The first characters of every menu script answerprint writes (how an uninstall recognises its own files).
SIGNATURE = '"""answerprint › '
_log = logging.getLogger("answerprint.effects")


@dataclass(frozen=True)
class MenuItem:
    """One item of the menu.

    Attributes
    ----------
    title : str
        As Resolve lists it (the file is ``<title>.py``).
    action : tuple of str
        The arguments of ``python -m answerprint.plugin.resolve`` it runs.
    summary : str
        What it does, one sentence (the script's first docstring line).
    """

    title: str
    action: tuple[str, ...]
    summary: str

    @property
    def file_name(self) -> str:
        return f"{self.title}.py"


_PANEL = MenuItem("Panel", ("panel",), "open the answerprint panel on the selected clips (or the one under the "
                                      "playhead), hosted: finished renders come back as new selected takes.")
_AFTER_EFFECTS = (
    MenuItem("Color Match", ("colormatch",), "put the color-match LUT (and CDL) on the selected clips' grade."),
    MenuItem("Continuity", ("continuity",), "check the current timeline's continuity and put a marker on each "
                                            "flagged clip."),
    MenuItem("Continuity fix colour", ("continuity", "--fix"), "check the timeline, mark flagged clips and put "
             "each exposure or white-balance fix on its clip's grade as a LUT."),
    MenuItem("Train from bin", ("train",), "train the production's cleanup pack from the current bin's clips."),
)


def menu_items() -> tuple[MenuItem, ...]:
    """Every item, in menu order: the panel, one per effect declaring a ``menu_title`` (by effect name), then
    colour match, continuity and training. A plug-in's title that cannot be a file name next to the others
    (empty, a path separator, taken) or whose text cannot sit in the script's docstring (three double quotes, a
    backslash) is left out with a one-line warning on the ``answerprint.effects`` log."""
    from answerprint.core.effects import available_effects

    rendered: list[MenuItem] = []
    taken = {item.title.lower() for item in (_PANEL, *_AFTER_EFFECTS)}
    for name, effect in sorted(available_effects().items()):
        if not effect.menu_title:
            continue
        item = MenuItem(effect.menu_title, ("apply", name), f"render the selected clips through {name}, back as "
                                                            f"new selected takes. {effect.summary}")
        text = item.title + item.summary
        unusable = not item.title.strip() or item.title.lower() in taken or "/" in item.title
        if unusable or "\\" in text or '"""' in text:
            _log.warning("answerprint: no Resolve menu item for effect %r: its title %r cannot be used", name,
                         item.title)
            continue
        taken.add(item.title.lower())
        rendered.append(item)
    return (_PANEL, *rendered, *_AFTER_EFFECTS)


def menu_script(item: MenuItem) -> str:
    """The source of ``item``'s menu script: the package's template filled in for it."""
    template = Template(resources.files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8"))
    return template.substitute(title=item.title, summary=item.summary, action=repr(list(item.action)),
                               title_literal=repr(item.title), handshake_seconds=repr(HANDSHAKE_SECONDS))
