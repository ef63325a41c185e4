"""Old names of the case sites; use :mod:`tests.helpers.sites`."""

from __future__ import annotations

from tests.helpers.sites import Behaviour, CachingProxy, CaseSite

__all__ = ["Behaviour", "CachingProxy", "CaseSite"]
