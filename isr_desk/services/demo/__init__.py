"""The built-in demo site: a loopback server that behaves like a Next.js on-demand ISR site."""

from __future__ import annotations

from isr_desk.services.demo._builds import previous_manifest, seed_previous_build
from isr_desk.services.demo._cdn import DEMO_CDN_TOKEN, DEMO_ZONE
from isr_desk.services.demo._server import MANIFEST_PATH, REVALIDATE_PATH, DemoSite

__all__ = [
    "DEMO_CDN_TOKEN",
    "DEMO_ZONE",
    "MANIFEST_PATH",
    "REVALIDATE_PATH",
    "DemoSite",
    "previous_manifest",
    "seed_previous_build",
]
