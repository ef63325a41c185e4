"""What the window waits on before its first paint (docs/performance.md, "Start-up and memory").

The real app (``run_app``) starts in a fresh interpreter with a configured site; at the main
window's first paint the child reports its ``sys.modules`` and how often the application
style sheet was set, then closes the window.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from isr_desk.cli import main

_CHILD = r"""
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import isr_desk.app as app_module

sheets = []
_set = QApplication.setStyleSheet
def counted(self, sheet):
    sheets.append(sheet)
    _set(self, sheet)
QApplication.setStyleSheet = counted

class FirstPaint(app_module.MainWindow):
    _painted = False
    def paintEvent(self, event):
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            print(json.dumps({"modules": sorted(sys.modules), "sheets": len(sheets)}), flush=True)
            QTimer.singleShot(0, self.close)

app_module.MainWindow = FirstPaint
sys.exit(app_module.run_app())
"""


def _first_paint() -> dict[str, object]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, object] = json.loads(done.stdout.splitlines()[0])
    return report


def test_the_first_paint_waits_on_no_keyring_and_sets_the_style_sheet_once(
    tmp_path: Path,
) -> None:
    # A configured site (no demo): the keyring is read when a secret is needed, not to paint.
    assert main(["site", "add", "shop", "--url", "http://127.0.0.1:9"]) == 0
    assert (Path(os.environ["ISR_DESK_HOME"]) / "profiles.json").exists()
    report = _first_paint()
    modules = set(report["modules"])  # type: ignore[call-overload]
    assert "isr_desk.views.main_window" in modules  # the child did build the window
    assert not {m for m in modules if m == "keyring" or m.startswith("keyring.")}
    # A second identical sheet re-polishes every widget (~45 ms) and changes nothing.
    assert report["sheets"] == 1
