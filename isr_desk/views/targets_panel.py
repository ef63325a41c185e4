"""The targets panel: the site's pages and tags (from its manifest) and a box to type paths.

The manifest loads in a worker thread (it may be a URL or a 100,000-route build); display
strings and search keys are prepared there too, so the GUI thread only swaps the model in.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from shlex import quote

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from isr_desk.domain import Manifest, ManifestPath, ManifestTag, SiteProfile, Target, TargetKind
from isr_desk.services.errors import IsrError
from isr_desk.services.http import Network
from isr_desk.services.manifest import convention_fixes, load_manifest
from isr_desk.services.sites import Parsed, parse_targets
from isr_desk.views.messages import MessageBridge
from isr_desk.views.plain import plain, tooltip
from isr_desk.views.run_controller import plural
from isr_desk.views.targets_model import PathsModel, Prepared, TagsModel
from isr_desk.views.targets_table import TargetTab
from isr_desk.views.tasks import TaskSet

Loader = Callable[..., Manifest]
NO_MANIFEST_TEXT = (
    "This site has no list of pages yet.\n\n"
    "Type the pages to refresh in the box below, one per line — for example /blog/hello-world "
    "— or tag:NAME for a cache tag.\n\n"
    "To list every page here, add a manifest in “Edit site” (for example /isr-manifest.json, "
    "a sitemap.xml or the site's .next build folder)."
)
TYPE_HINT = "Type or paste pages, one per line: /blog/hello-world, https://site/page or tag:posts"


class TargetsPanel(QWidget):
    """Pick pages and tags from the manifest, or type them; ask for a revalidation."""

    revalidate_requested = Signal(list)  # [Target]
    manifest_loaded = Signal(object)  # Manifest
    manifest_failed = Signal(str)

    def __init__(
        self,
        *,
        messages: MessageBridge,
        loader: Loader = load_manifest,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._messages = messages
        self._loader = loader
        self._tasks = TaskSet()
        self._profile: SiteProfile | None = None
        self._tag_pages: dict[str, tuple[str, ...]] | None = None  # made when first asked
        self.manifest: Manifest | None = None
        self.paths_tab = TargetTab(PathsModel(self))
        self.tags_tab = TargetTab(TagsModel(self))
        self.tabs = QTabWidget()
        self.tabs.addTab(self.paths_tab, "Paths")
        self.tabs.addTab(self.tags_tab, "Tags")
        self.info = QLabel("")
        plain(self.info)
        self.info.setObjectName("manifestInfo")
        self.conventions = QLabel("")  # "Next 15.5 · App Router · trailingSlash"
        self.conventions.setObjectName("siteConventions")
        self.conventions.setTextFormat(Qt.TextFormat.PlainText)
        self.reload_button = QPushButton("Reload list")
        self.reload_button.setToolTip("Read the site's manifest again")
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter pages and tags (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.revalidate_button = QPushButton("Revalidate selected")
        self.revalidate_button.setEnabled(False)
        self.type_box = QPlainTextEdit()
        self.type_box.setPlaceholderText(TYPE_HINT)
        self.type_box.setFixedHeight(64)
        self.type_mode = QComboBox()
        self.type_mode.addItems(["Lines are pages", "Lines are tags"])
        self.refresh_button = QPushButton("Refresh this page")
        self.refresh_button.setObjectName("primary")
        self.refresh_button.setEnabled(False)
        self.problems = QLabel("")
        plain(self.problems)  # quotes typed or manifest targets
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self._layout()
        self._connect_signals()
        self._show_message_everywhere("Pick a site to see its pages.")

    def _layout(self) -> None:
        top = QHBoxLayout()
        title = QLabel("Pages and tags")
        title.setObjectName("panelTitle")
        top.addWidget(title)
        top.addWidget(self.info, 1)
        top.addWidget(self.reload_button)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.revalidate_button)
        typed = QHBoxLayout()
        typed.addWidget(self.type_box, 1)
        side = QVBoxLayout()
        side.addWidget(self.type_mode)
        side.addWidget(self.refresh_button)
        side.addStretch(1)
        typed.addLayout(side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.conventions)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        layout.addWidget(QLabel("Refresh pages by address:"))
        layout.addLayout(typed)
        layout.addWidget(self.problems)

    def _connect_signals(self) -> None:
        self.reload_button.clicked.connect(self.reload)
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self.revalidate_button.clicked.connect(self.revalidate_selected)
        self.refresh_button.clicked.connect(self.revalidate_typed)
        self.type_box.textChanged.connect(self._on_typed_changed)
        self.type_mode.currentIndexChanged.connect(self._on_typed_changed)
        self.tabs.currentChanged.connect(self._update_selection_button)
        for tab in (self.paths_tab, self.tags_tab):
            tab.table.selectionModel().selectionChanged.connect(self._update_selection_button)
            tab.model.modelReset.connect(self._update_selection_button)
            tab.model.modelReset.connect(self._update_tab_titles)

    # --- site and manifest --------------------------------------------------------------
    def set_profile(self, profile: SiteProfile | None) -> None:
        self._profile = profile
        self._tasks.cancel_all()
        self.manifest = None
        self._tag_pages = None
        self.paths_tab.model.clear()
        self.tags_tab.model.clear()
        self.info.clear()
        self.conventions.clear()
        self.reload_button.setEnabled(bool(profile and profile.manifest_source))
        if profile is None:
            self._show_message_everywhere("Pick a site to see its pages.")
        elif not profile.manifest_source:
            self._show_message_everywhere(NO_MANIFEST_TEXT)
            self.info.setText("No manifest: type pages below")
        else:
            self.reload()
        self._on_typed_changed()

    def reload(self) -> None:
        profile = self._profile
        if profile is None or not profile.manifest_source:
            return
        self._tasks.cancel_all()
        self._tasks.spawn(self._load(profile, profile.manifest_source))

    async def _load(self, profile: SiteProfile, source: str) -> None:
        self.reload_button.setEnabled(False)
        self._show_message_everywhere(f"Loading the list of pages from {source}…")
        self.info.setText("Loading…")
        t0 = time.perf_counter()
        try:
            manifest, paths, tags = await asyncio.to_thread(self._load_prepared, source, profile)
        except IsrError as exc:
            text = f"Could not load the list of pages.\n\n{exc.message}"
            if exc.hint:
                text += f"\n{exc.hint}"
            self._show_message_everywhere(text + "\n\nYou can still type pages in the box below.")
            self.info.setText("List not loaded")
            self.manifest_failed.emit(exc.describe())
            self._messages.error(exc)
            return
        finally:
            self.reload_button.setEnabled(True)
        elapsed_ms = (time.perf_counter() - t0) * 1000
        self._apply(manifest, paths, tags, elapsed_ms)

    def _load_prepared(
        self, source: str, profile: SiteProfile
    ) -> tuple[Manifest, Prepared[ManifestPath], Prepared[ManifestTag]]:
        # The profile's proxy and CA bundle for a manifest URL (docs/networks.md).
        manifest = self._loader(source, base_url=profile.base_url, network=Network.of(profile))
        return manifest, PathsModel.prepare(manifest.paths), TagsModel.prepare(manifest.tags)

    def _apply(
        self,
        manifest: Manifest,
        paths: Prepared[ManifestPath],
        tags: Prepared[ManifestTag],
        elapsed_ms: float,
    ) -> None:
        self.manifest = manifest
        self._tag_pages = None  # ~200k tags: built on the first question, not on every load
        self.paths_tab.model.set_prepared(paths)
        self.tags_tab.model.set_prepared(tags)
        for tab, what in ((self.paths_tab, "pages"), (self.tags_tab, "tags")):
            if tab.model.total:
                tab.show_table()
            else:
                tab.show_message(f"The manifest lists no {what}. Type them in the box below.")
        text = (
            f"{plural(len(manifest.paths), 'page')} · {manifest.tag_counts()} · "
            f"loaded in {elapsed_ms:,.0f} ms"
        )
        site, profile = manifest.site, self._profile
        line = site.summary() if site is not None else ""
        fixes = convention_fixes(site, profile) if site and profile else []
        if fixes and profile is not None:
            line += f" — this site is set up otherwise: isr-desk site edit {quote(profile.name)} "
            line += " ".join(fixes)
        self.conventions.setText(line)
        self.conventions.setVisible(site is not None)
        if manifest.warnings:
            text += f" · {plural(len(manifest.warnings), 'warning')}"
            self.info.setToolTip(tooltip("\n".join(manifest.warnings)))
        self.info.setText(text)
        self.manifest_loaded.emit(manifest)

    def tag_pages(self, tag: str) -> tuple[str, ...] | None:
        if self._tag_pages is None:
            tags = self.manifest.tags if self.manifest is not None else ()
            self._tag_pages = {t.tag: t.paths for t in tags}
        return self._tag_pages.get(tag)

    def _show_message_everywhere(self, text: str) -> None:
        self.paths_tab.show_message(text)
        self.tags_tab.show_message(text)

    # --- picking ------------------------------------------------------------------------
    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def current_tab(self) -> TargetTab[ManifestPath] | TargetTab[ManifestTag]:
        return self.paths_tab if self.tabs.currentIndex() == 0 else self.tags_tab

    def selected_targets(self) -> list[Target]:
        tab = self.current_tab()
        return tab.model.targets(tab.selected_rows())

    def typed(self) -> Parsed:
        as_tags = self.type_mode.currentIndex() == 1
        return parse_targets(self.type_box.toPlainText(), as_tags=as_tags, site=self._profile)

    def revalidate_selected(self) -> None:
        targets = self.selected_targets()
        if targets:
            self.revalidate_requested.emit(targets)
        else:
            self._messages.warning("Select pages or tags first (click, Shift+click, Ctrl+A)")

    def revalidate_typed(self) -> None:
        parsed = self.typed()
        if parsed.problems:
            self.problems.setText("Not sent — " + "; ".join(parsed.problems[:3]))
            return
        if parsed.targets:
            self.revalidate_requested.emit(list(parsed.targets))
        else:
            self._messages.warning("Type a page first, for example /blog/hello-world")

    def revalidate_current(self) -> None:
        """Ctrl+Enter: the typed pages when the box has focus or text, else the selection."""
        typing = self.type_box.hasFocus() or (
            self.type_box.toPlainText().strip() and not self.current_tab().selected_count()
        )
        if typing:
            self.revalidate_typed()
        else:
            self.revalidate_selected()

    # --- labels -------------------------------------------------------------------------
    def _on_filter_edit_text_changed(self, text: str) -> None:
        self.paths_tab.model.set_filter(text)
        self.tags_tab.model.set_filter(text)

    def _update_tab_titles(self) -> None:
        paths, tags = self.paths_tab.model, self.tags_tab.model
        for position, name, shown, total in (
            (0, "Paths", paths.rowCount(), paths.total),
            (1, "Tags", tags.rowCount(), tags.total),
        ):
            count = f"{shown:,}" if shown == total else f"{shown:,} of {total:,}"
            self.tabs.setTabText(position, f"{name} ({count})" if total else name)

    def _update_selection_button(self, *_: object) -> None:
        count = self.current_tab().selected_count()
        what = "page" if self.current_tab() is self.paths_tab else "tag"
        self.revalidate_button.setEnabled(count > 0)
        self.revalidate_button.setText(
            f"Revalidate {plural(count, 'selected ' + what)}" if count else "Revalidate selected"
        )

    def _on_typed_changed(self, *_: object) -> None:
        parsed = self.typed()
        self.problems.setText("; ".join(parsed.problems[:3]))
        targets = parsed.targets
        self.refresh_button.setEnabled(bool(targets) and self._profile is not None)
        tags = sum(1 for t in targets if t.kind is TargetKind.TAG)
        if tags and tags == len(targets):
            self.refresh_button.setText("Purge this tag" if tags == 1 else f"Purge {tags:,} tags")
        elif len(targets) > 1:
            self.refresh_button.setText(f"Refresh {len(targets):,} pages")
        else:
            self.refresh_button.setText("Refresh this page")

    def shutdown(self) -> None:
        self._tasks.cancel_all()
