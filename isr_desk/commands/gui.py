"""``isr-desk gui [--demo] [--screenshot FILE]``: open the desktop app.

Qt is imported only when the command runs, so the rest of the CLI starts fast and works
on machines without a display.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from isr_desk.commands import Context, Subparsers

_EPILOG = """\
examples:
  isr-desk                                   open the app (the demo site when no site is set up)
  isr-desk gui --demo                        open the app on the built-in demo site
  QT_QPA_PLATFORM=offscreen isr-desk gui --demo --screenshot main.png
                                             render the window after a demo run, save it, exit
  isr-desk gui --demo --screenshot d.png --screenshot-panel details
                                             the same, showing a failed row's details
  QT_QPA_PLATFORM=offscreen isr-desk gui --demo --screenshot-all shots/
                                             every journey, two sizes, light and dark
"""


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "gui",
        help="open the desktop app",
        description="Open the ISR Desk window.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the built-in demo site and select it (its secret is never stored)",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE",
        help="save the window as a PNG after start-up (after a demo run with --demo), then exit",
    )
    parser.add_argument(
        "--screenshot-panel",
        choices=("main", "details", "chart", "history", "preferences", "doctor"),
        default="main",
        metavar="PANEL",
        help="what --screenshot captures: main (default), details, chart, history, "
        "preferences or doctor",
    )
    parser.add_argument(
        "--screenshot-all",
        type=Path,
        metavar="DIR",
        help="save every journey (first start, refresh a page, a wrong secret, refresh a tag, "
        "bulk, history, add a site) at 1024x640 and 1600x1000, light and dark, in DIR, then "
        "exit (use with --demo)",
    )
    parser.set_defaults(handler=_gui)


NO_DISPLAY = (
    "isr-desk: there is no display to open the window on (no desktop session here). "
    "Use the commands instead: isr-desk --help"
)
EXIT_NO_DISPLAY = 2


def no_display(environ: dict[str, str] | None = None, platform: str = sys.platform) -> bool:
    """True on a Linux/BSD machine without X11 or Wayland, where Qt would abort."""
    env = os.environ if environ is None else environ
    qpa = env.get("QT_QPA_PLATFORM", "")
    if qpa and not qpa.startswith(("xcb", "wayland")):
        return False  # offscreen, vnc, eglfs ...: no display needed
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return False
    return not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def _gui(args: argparse.Namespace, ctx: Context) -> int:
    if no_display():
        ctx.err(NO_DISPLAY)  # one plain line instead of Qt's plugin dump and an abort
        return EXIT_NO_DISPLAY
    from isr_desk.app import run_app

    code = run_app(
        demo=args.demo or args.screenshot_all is not None,
        screenshot=args.screenshot,
        panel=args.screenshot_panel,
        screenshot_all=args.screenshot_all,
    )
    if args.screenshot is not None and code == 0:
        ctx.out(f"Saved {args.screenshot}")
    if args.screenshot_all is not None and code == 0:
        ctx.out(f"Saved the screenshots in {args.screenshot_all}")
    return code
