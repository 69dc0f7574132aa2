"""On a real desktop the panel either opens or says in one line what is missing; Qt never aborts the process."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from answerprint.ui.platform_check import DisplayUnavailable, check_platform, install_hint, missing_libraries

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb platform is Linux's")

LDD_WITHOUT_CURSOR = """\
\tlinux-vdso.so.1 (0x00007ffd5a1f2000)
\tlibQt6XcbQpa.so.6 => /opt/venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f2f0d000000)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => /lib/x86_64-linux-gnu/libxcb-icccm.so.4 (0x00007f2f0cff0000)
\tlibxcb-cursor.so.0 => not found
\tlibfoo-vendor.so.3 => not found
"""


def test_missing_libraries_are_named_with_the_package_that_brings_them():
    missing = missing_libraries(LDD_WITHOUT_CURSOR)
    assert missing == ["libxcb-cursor.so.0", "libfoo-vendor.so.3"]
    assert install_hint(missing[:1]) == "sudo apt-get install libxcb-cursor0"
    assert install_hint(missing) == "sudo apt-get install libxcb-cursor0; and libfoo-vendor.so.3"


def test_offscreen_and_other_platforms_are_not_checked():
    check_platform({"QT_QPA_PLATFORM": "offscreen"})
    check_platform({"WAYLAND_DISPLAY": "wayland-0"})


def test_no_display_is_said_before_qt_starts():
    with pytest.raises(DisplayUnavailable) as refused:
        check_platform({"PATH": os.environ["PATH"]})
    assert "apt-get install" in refused.value.what or "no display: set DISPLAY" in refused.value.what


def test_the_panel_on_an_unreachable_display_exits_with_one_line_instead_of_sigabrt():
    environment = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    environment["DISPLAY"] = ":987"
    done = subprocess.run([sys.executable, "-m", "answerprint.core.cli", "panel"], env=environment,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == DisplayUnavailable.exit_code, done.stderr       # not -6 (SIGABRT)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("answerprint panel: error: ")
    assert "run: sudo apt-get install" in lines[0] or "the X display :987 does not answer" in lines[0]
