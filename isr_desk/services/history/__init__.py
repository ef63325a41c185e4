"""History: every run and its results in SQLite, with CSV and JSON export.

:class:`HistoryStore` records runs as they happen and reads them back as :class:`RunRecord`
values; ``result_from_dict`` reads a result exported as JSON.
"""

from __future__ import annotations

from isr_desk.services.history._rows import result_from_dict
from isr_desk.services.history._store import HistoryStore, RunRecord

__all__ = ["HistoryStore", "RunRecord", "result_from_dict"]
