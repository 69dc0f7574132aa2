"""answerprint › Continuity fix colour: check the timeline, mark flagged clips, and put each exposure or white
balance fix on its clip's grade as a native LUT (one global colour transform: content is never touched).

Runs inside DaVinci Resolve (Workspace › Scripts › answerprint), on Resolve's own Python (3.6 or later,
standard library only). It starts answerprint in the environment the installer made and returns at once, so
Resolve's UI never waits; answerprint then connects to Resolve itself (Resolve Studio, External scripting =
Local), reads the current timeline, writes the report under the render folder and marks the flagged clips.
Its messages go to the log named in Resolve's Console.
"""
import json
import os
import subprocess
import sys
import time

ACTION = ["continuity", "--fix"]
TITLE = "Continuity fix colour"

# Everything below this line is the same in every answerprint menu script.


def config_locations():
    """The per-user and the all-users resolve.json, where the answerprint installers write them."""
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        program_data = os.environ.get("PROGRAMDATA") or "C:\\ProgramData"
        return [os.path.join(local, "answerprint", "resolve.json"),
                os.path.join(program_data, "answerprint", "resolve.json")]
    if sys.platform == "darwin":
        return [os.path.join(home, "Library", "Application Support", "answerprint", "resolve.json"),
                "/Library/Application Support/answerprint/resolve.json"]
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    return [os.path.join(config_home, "answerprint", "resolve.json"), "/etc/answerprint/resolve.json"]


def child_environment():
    """This environment without the variables that tie Python to Resolve's own interpreter."""
    environment = dict(os.environ)
    for name in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE", "__PYVENV_LAUNCHER__"):
        environment.pop(name, None)
    return environment


def open_log():
    """The log answerprint's messages go to (started afresh past 5 MB), and its path."""
    folder = os.path.join(os.path.dirname(config_locations()[0]), "logs")
    if not os.path.isdir(folder):
        os.makedirs(folder)
    path = os.path.join(folder, "resolve.log")
    mode = "wb" if os.path.isfile(path) and os.path.getsize(path) > 5 * 1024 * 1024 else "ab"
    return open(path, mode), path


def launch(action, title):
    """Start answerprint's own Python on ``action``, detached, and return at once (Resolve never waits)."""
    found = [path for path in config_locations() if os.path.isfile(path)]
    if not found:
        print("answerprint is not installed for Resolve: no resolve.json in %s. Run install_scripts/install.sh "
              "(Linux, macOS) or install.ps1 (Windows)." % " or ".join(config_locations()))
        return None
    with open(found[0], encoding="utf-8-sig") as handle:
        python = json.load(handle).get("python") or ""
    if not os.path.isfile(python):
        print("answerprint's Python environment is missing (%r, from %s); re-run the answerprint installer."
              % (python, found[0]))
        return None
    log, log_path = open_log()
    log.write(("\n== %s answerprint %s ==\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), title)).encode("utf-8"))
    log.flush()
    options = {"stdin": subprocess.DEVNULL, "stdout": log, "stderr": subprocess.STDOUT, "env": child_environment()}
    if sys.platform == "win32":
        options["creationflags"] = 0x00000008 | 0x00000200  # DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP
    else:
        options["start_new_session"] = True
        options["close_fds"] = True
    try:
        command = [python, "-m", "answerprint.plugin.resolve", "--settings", found[0]] + action
        process = subprocess.Popen(command, **options)
    finally:
        log.close()
    print("answerprint %s started (process %d); its messages are in %s" % (title, process.pid, log_path))
    return process


launch(ACTION, TITLE)
