"""A desktop notification from answerprint's own process: how a job launched from Resolve's menu says it ended.

The menu script hands back to Resolve after a few seconds; a longer job (a render, training) tells the
colorist it is done, or why it failed, with the operating system's notifications:

* Linux: ``notify-send`` (libnotify, on every desktop with a notification daemon);
* macOS: ``osascript -e 'display notification …'``;
* Windows: a balloon from PowerShell's ``System.Windows.Forms.NotifyIcon`` (title and text passed in the
  environment, so no quoting can break the command).

Where the tool is missing nothing is shown; the message is in the log and the job's status file either way.
Standard library only.
"""
from __future__ import annotations

import os
import shutil
import subprocess

from .settings import current_os

_WINDOWS_BALLOON = (
    "Add-Type -AssemblyName System.Windows.Forms; Add-Type -AssemblyName System.Drawing; "
    "$icon = New-Object System.Windows.Forms.NotifyIcon; $icon.Icon = [System.Drawing.SystemIcons]::Information; "
    "$icon.Visible = $true; $icon.ShowBalloonTip(15000, $env:ANSWERPRINT_TITLE, $env:ANSWERPRINT_TEXT, 'Info'); "
    "Start-Sleep -Seconds 15; $icon.Dispose()")


def _applescript_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def notification_command(title: str, text: str, os_name: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The command (and extra environment) that shows ``title`` / ``text`` as a notification on ``os_name``."""
    os_name = os_name or current_os()
    if os_name == "linux":
        return ["notify-send", "--app-name=answerprint", title, text], {}
    if os_name == "macos":
        script = f"display notification {_applescript_string(text)} with title {_applescript_string(title)}"
        return ["osascript", "-e", script], {}
    return (["powershell", "-NoProfile", "-NonInteractive", "-WindowStyle", "Hidden", "-Command", _WINDOWS_BALLOON],
            {"ANSWERPRINT_TITLE": title, "ANSWERPRINT_TEXT": text})


def notify(title: str, text: str) -> bool:
    """Show a desktop notification; False when this machine has no tool for it. Never waits for it to close."""
    command, extra = notification_command(title, text)
    program = shutil.which(command[0])
    if program is None:
        return False
    try:
        subprocess.Popen([program, *command[1:]], env={**os.environ, **extra}, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        return False
    return True
