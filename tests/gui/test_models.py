"""The table models: Qt's model contract (qtmodeltester), filtering, sorting, batching."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from isr_desk.domain import ManifestPath, ManifestTag, Outcome, Result, Target
from isr_desk.services.verify import Verdict, Verification
from isr_desk.views.log_model import COLUMNS, TIME, VERIFY, LogModel, verdict_text
from isr_desk.views.targets_model import PathsModel, TagsModel

PATHS = [
    ManifestPath("/", tags=("home",), revalidate=60),
    ManifestPath("/blog/zebra", pattern="/blog/[slug]", tags=("posts",), revalidate=False),
    ManifestPath("/blog/apple", pattern="/blog/[slug]", tags=("posts",), revalidate=30),
    ManifestPath("/about", revalidate=None),
]
TAGS = [
    ManifestTag("posts", ("/blog/zebra", "/blog/apple")),
    ManifestTag("home", ("/",)),
    ManifestTag("_N_T_/layout", ("/", "/about"), implicit=True),
]


def _shown(model: PathsModel | TagsModel) -> list[str]:
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_paths_model_passes_the_model_tester(qtmodeltester: Any) -> None:
    model = PathsModel()
    model.set_items(PATHS)
    qtmodeltester.check(model)
    model.set_filter("blog")
    qtmodeltester.check(model)
    model.sort(3, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model)


def test_tags_model_passes_the_model_tester(qtmodeltester: Any) -> None:
    model = TagsModel()
    model.set_items(TAGS)
    qtmodeltester.check(model)
    model.sort(1)
    qtmodeltester.check(model)


def test_log_model_passes_the_model_tester(qtmodeltester: Any) -> None:
    model = LogModel()
    model.add("Site", [_result("/a", ok=True), _result("/b", ok=False)])
    model.flush()
    qtmodeltester.check(model)


def test_filter_keeps_matching_rows_in_order_and_counts_them() -> None:
    model = PathsModel()
    model.set_items(PATHS)
    model.set_filter("POSTS")  # tags are searched too, case-insensitively
    assert _shown(model) == ["/blog/apple", "/blog/zebra"]
    model.set_filter("")
    assert _shown(model) == ["/", "/about", "/blog/apple", "/blog/zebra"]
    assert model.total == 4


def test_pages_are_in_natural_order_and_empty_columns_are_known() -> None:
    numbered = [ManifestPath(f"/p/{n}") for n in (10, 2, 100, 1)]
    model = PathsModel()
    model.set_items(numbered)
    assert _shown(model) == ["/p/1", "/p/2", "/p/10", "/p/100"]
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert _shown(model) == ["/p/100", "/p/10", "/p/2", "/p/1"]
    assert model.empty_columns == {1, 2, 3}  # a sitemap: no route, tags or rebuild time
    model.set_items(PATHS)
    assert model.empty_columns == frozenset()


def test_sort_by_text_and_by_number_then_filter_keeps_the_order() -> None:
    model = PathsModel()
    model.set_items(PATHS)
    model.sort(0)
    assert _shown(model) == ["/", "/about", "/blog/apple", "/blog/zebra"]
    model.sort(3)  # revalidate seconds: 30, 60, then never / unknown last
    assert _shown(model)[:2] == ["/blog/apple", "/"]
    model.set_filter("blog")
    assert _shown(model) == ["/blog/apple", "/blog/zebra"]


def test_sort_keeps_the_selection_on_the_same_items(qtbot: QtBot) -> None:
    model = PathsModel()
    model.set_items(PATHS)
    selection = QItemSelectionModel(model)
    selection.select(model.index(1, 0), QItemSelectionModel.SelectionFlag.Select)
    model.sort(0)
    selected = [model.item(i.row()).path for i in selection.selectedIndexes()]
    assert selected == ["/about"]


def test_targets_of_rows_are_paths_and_tags() -> None:
    paths, tags = PathsModel(), TagsModel()
    paths.set_items(PATHS)
    tags.set_items(TAGS)
    assert paths.targets([0, 3]) == [Target.path("/"), Target.path("/blog/zebra")]
    assert tags.targets([0]) == [Target.tag("posts")]
    assert tags.index(0, 1).data() == "2"


def test_log_model_adds_rows_in_one_batch_and_colours_failures(qtbot: QtBot) -> None:
    model = LogModel(flush_ms=20)
    inserts: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _, first, last: inserts.append((first, last)))
    with qtbot.waitSignal(model.rows_flushed, timeout=2000) as flushed:
        model.add("Site", [_result(f"/p{i}", ok=i != 3) for i in range(50)])
    assert flushed.args == [50]
    assert inserts == [(0, 49)]
    assert model.index(3, 5).data() == "Wrong secret"
    assert model.index(3, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(2, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    assert "ask your developer" in model.index(3, 2).data(Qt.ItemDataRole.ToolTipRole)


def test_log_cells_are_made_when_asked_and_follow_the_verdicts(qtbot: QtBot) -> None:
    model = LogModel()
    model.add("Site", [_result("/a", ok=True), _result("/b", ok=False)])
    model.flush()
    row = model.row(1)
    assert not hasattr(row, "__dict__")  # slots only: 100,000 rows hold no display strings
    clock = time.strftime("%H:%M:%S", time.localtime(1_700_000_000.0125))
    expected = (clock, "Site", "/b", "", "401", "Wrong secret", "12", "1", "", "origin")
    assert row.cells == expected
    assert [model.index(1, c).data() for c in range(len(COLUMNS))] == list(expected)
    check = Verification(Verdict.UNCHANGED, "same ETag", "/b", target=Target.path("/b"))
    with qtbot.waitSignal(model.dataChanged):
        assert model.apply_verifications([row.result], [check]) == 1
    assert model.index(1, VERIFY).data() == verdict_text([check])
    assert model.index(1, VERIFY).data() != ""
    assert model.index(0, VERIFY).data() == ""


def test_log_time_of_a_result_without_a_start_is_when_it_was_added() -> None:
    model = LogModel()
    model.add("Site", [replace(_result("/a", ok=True), started_at=0.0)])
    model.flush()
    shown = model.index(0, TIME).data()  # fixed when added, not following the clock
    assert shown == model.index(0, TIME).data() == model.row(0).cells[TIME]
    added = model.row(0).added_at
    assert shown == time.strftime("%H:%M:%S", time.localtime(added + 12.5 / 1000))


def _result(path: str, *, ok: bool) -> Result:
    return Result(
        target=Target.path(path),
        ok=ok,
        outcome=Outcome.REFRESHED if ok else Outcome.WRONG_SECRET,
        status=200 if ok else 401,
        duration_ms=12.5,
        attempts=1,
        hint=None if ok else "The site rejected the secret — ask your developer",
        started_at=1_700_000_000.0,
    )


def test_tag_filter_matches_the_whole_row_text_as_before() -> None:
    # A row's text is "<tag> <pages> <kind>"; the model keeps only the tag per row and the
    # few distinct "<pages> <kind>" tails once, yet a needle may span them.
    model = TagsModel()
    model.set_items(TAGS)
    for needle, shown in [
        ("your site", ["posts", "home"]),
        ("2 your", ["posts"]),
        ("s 2", ["posts"]),  # the end of "posts", then its count
        ("layout 2 next.js (auto", ["_N_T_/layout"]),
        ("e 1 your s", ["home"]),
        ("(automatic)", ["_N_T_/layout"]),
        ("HOME", ["home"]),
        ("s 1", []),
    ]:
        model.set_filter(needle)
        assert _shown(model) == shown, needle
    model.set_filter("")
    assert _shown(model) == [t.tag for t in TAGS]


def test_cells_are_made_for_the_rows_asked_for() -> None:
    paths, tags = PathsModel(), TagsModel()
    paths.set_items(PATHS)
    tags.set_items(TAGS)
    paths.sort(0, Qt.SortOrder.DescendingOrder)
    tags.sort(0)

    assert [paths.index(0, c).data() for c in range(4)] == [
        "/blog/zebra",
        "/blog/[slug]",
        "posts",
        "never",
    ]
    assert [tags.index(0, c).data() for c in range(3)] == [
        "_N_T_/layout",
        "2",
        "Next.js (automatic)",
    ]
    assert paths.targets([0]) == [Target.path("/blog/zebra")]
