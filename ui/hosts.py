"""Hosts the panel can work for, found through the ``answerprint.hosts`` entry-point group.

The panel never imports a host adapter: ``--host resolve`` loads the module advertised as ``resolve`` (the
Resolve adapter's ``host`` module) and calls its ``open_host(production=...)``. The contract a host module
meets is written down in ``answerprint.plugin.resolve.host``.
"""
from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from answerprint.core.errors import UsageError

GROUP = "answerprint.hosts"


def available_hosts() -> list[str]:
    """Names of the installed hosts."""
    return sorted(ep.name for ep in entry_points(group=GROUP))


def open_host(name: str, production: str | None = None) -> Any:
    """Load host ``name`` and connect to it.

    Raises
    ------
    UsageError
        When no such host is installed.
    AnswerprintError
        Whatever the host raises when it cannot connect (Resolve not running, ...).
    """
    found = [ep for ep in entry_points(group=GROUP) if ep.name == name]
    if not found:
        raise UsageError(f"no such host; installed: {', '.join(available_hosts()) or 'none'}", f"--host {name}")
    return found[0].load().open_host(production=production)
