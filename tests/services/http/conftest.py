"""``kind``: every wire-level test here runs against both transports."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["h11", "httpcore"])
def kind(request: pytest.FixtureRequest) -> str:
    """``"h11"`` (ISR Desk's ``H11Transport``) or ``"httpcore"`` (httpx's own transport)."""
    return str(request.param)
