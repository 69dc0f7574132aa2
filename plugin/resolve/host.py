"""DaVinci Resolve as a host of the panel: its current clips in, finished renders back as selected takes.

Advertised in the ``answerprint.hosts`` entry-point group (``resolve``); the panel loads it by name and never
imports the Resolve adapter itself. A host module offers ``NAME`` and ``open_host(production, render_folder)``
returning an object with:

* ``name``: the host as the panel's title names it;
* ``current_clips() -> (clips, skipped)``: what the panel opens. Each clip has ``label``, ``path`` (movie or
  sequence pattern), ``first`` and ``last`` (source frames the timeline shows, inclusive); ``skipped`` is a list
  of one-line reasons for items that cannot be rendered in place;
* ``job_for(clip, effect, params, pack, input_space) -> RenderJob``: the render that will come back as a take;
* ``send_back(clip, job, result) -> str``: hand a finished render to the host; returns a one-line message.

Here a render is written as ``<render folder>/<effect>/<source>.<effect>.v<NNN>.mov`` (never overwriting), over
the item's source frames plus ``takes.DEFAULT_HANDLES``, and comes back through ``takes``: imported into the bin
``answerprint/<effect>``, recorded on the clip, added to the item as a take and selected.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from answerprint.core.paths import data_dir
from answerprint.core.render import RenderJob
from answerprint.core.render.engine import RenderResult

from .connect import ResolveSession, open_session
from .records import TakeRecord, write_record
from .settings import load_settings
from .takes import DEFAULT_HANDLES, TakeResult, add_selected_take, import_into_bin, next_version, source_stem
from .timeline import ItemSource, locate_source, target_items, timeline_rate

NAME = "DaVinci Resolve"


class ResolveHost:
    """A connection to the running Resolve for the panel.

    Parameters
    ----------
    session : ResolveSession
        The connection (``connect.open_session()``).
    production : str, optional
        The production jobs belong to.
    render_folder : str or path
        Where rendered takes are written (one subfolder per effect).
    handles : int
        Extra source frames rendered each side of an item.
    """

    name = NAME

    def __init__(self, session: ResolveSession, production: str | None, render_folder: str | Path,
                 handles: int = DEFAULT_HANDLES):
        self.session = session
        self.production = production
        self.render_folder = Path(render_folder)
        self.handles = handles

    def current_clips(self) -> tuple[list[ItemSource], list[str]]:
        """The selected items (or the one under the playhead) that can be rendered in place, and why others cannot.

        Raises
        ------
        ResolveError
            When no timeline is open or nothing is selected.
        """
        clips: list[ItemSource] = []
        skipped: list[str] = []
        rate = timeline_rate(self.session.require_timeline())
        for item in target_items(self.session):
            located = locate_source(item, self.session.version, rate)
            if isinstance(located, ItemSource):
                clips.append(located)
            else:
                skipped.append(located.message())
        return clips, skipped

    def job_for(self, clip: ItemSource, effect: str, params: Mapping[str, Any], pack: str | None = None,
                input_space: str | None = None) -> RenderJob:
        """The render of ``clip`` through ``effect`` that ``send_back`` turns into a take (next free version)."""
        folder = self.render_folder / effect
        version = next_version(folder, clip.path, effect)
        output = folder / f"{source_stem(clip.path)}.{effect}.v{version:03d}.mov"
        folder.mkdir(parents=True, exist_ok=True)
        return RenderJob(source=clip.path, output=str(output), effect=effect, params=dict(params), pack=pack,
                         frames=(clip.first, clip.last), handles=self.handles, input_space=input_space,
                         production=self.production)

    def send_back(self, clip: ItemSource, job: RenderJob, result: RenderResult) -> str:
        """Import a finished render of ``job`` and add it to ``clip``'s item as its selected take.

        Raises
        ------
        ResolveError
            When Resolve refuses the import, the record or the take.
        """
        version = int(Path(job.output).stem.rsplit(".v", 1)[1])
        record = TakeRecord(effect=job.effect, params=result.record["params"], pack=job.pack,
                            pack_id=(result.record.get("pack") or {}).get("id"), production=job.production,
                            source=clip.path, first=clip.first, last=clip.last, handles=job.handles,
                            input_space=job.input_space, version=version, output=result.outputs[0])
        media = import_into_bin(self.session.media_pool, result.outputs[0], job.effect)
        start = clip.first - result.record["frames"]["first"]
        write_record(media, record, start)
        take_index = add_selected_take(clip.item, media, start, start + clip.last - clip.first + 1)
        return TakeResult(clip.label, record, take_index).message()


def open_host(production: str | None = None, render_folder: str | Path | None = None,
              settings_path: str | None = None) -> ResolveHost:
    """Connect to the running Resolve Studio, with the production and render folder of ``resolve.json``.

    Arguments given here win over the settings; the render folder defaults to ``<data>/resolve-renders``, as
    for the menu items.

    Raises
    ------
    ResolveError
        When Resolve is not running, refuses outside scripting, is the Free edition or has no project open.
    """
    settings = load_settings(settings_path)
    folder = render_folder or settings.render_folder or str(data_dir() / "resolve-renders")
    return ResolveHost(open_session(), production or settings.production, folder)
