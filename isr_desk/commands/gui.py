"""``isr-desk gui [--demo] [--screenshot FILE]``: open the desktop app.

Qt is imported only when the command runs, so the rest of the CLI starts fast and works
on machines without a display.
"""

from __future__ import annotations

import argparse
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
    parser.set_defaults(handler=_gui)


def _gui(args: argparse.Namespace, ctx: Context) -> int:
    from isr_desk.app import run_app

    code = run_app(demo=args.demo, screenshot=args.screenshot, panel=args.screenshot_panel)
    if args.screenshot is not None and code == 0:
        ctx.out(f"Saved {args.screenshot}")
    return code
