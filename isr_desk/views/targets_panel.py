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
from isr_desk.services.manifest import (
    SinceLast,
    changes_since_last,
    convention_fixes,
    is_glob,
    is_own_source,
    known_pages,
    known_tags,
    load_manifest,
    select,
    unknown_pages,
    unknown_tags,
)
from isr_desk.services.sites import (
    Parsed,
    SecretHeaders,
    SecretStore,
    parse_targets,
    with_secret_headers,
)
from isr_desk.views.changes_dialog import ChangesDialog
from isr_desk.views.messages import MessageBridge
from isr_desk.views.plain import plain, tooltip
from isr_desk.views.run_texts import describe_targets, plural
from isr_desk.views.target_checks import tags_refused, unknown_tags_text, unknown_text
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
TYPE_HINT = (
    "Or type the pages to refresh, one per line: /blog/hello-world, https://site/page or tag:posts"
)


class TargetsPanel(QWidget):
    """Pick pages and tags from the manifest, or type them; ask for a revalidation."""

    revalidate_requested = Signal(list)  # [Target]
    manifest_loaded = Signal(object)  # Manifest
    manifest_failed = Signal(str)
    changes_shown = Signal()  # after a load, once "What changed" is worked out

    def __init__(
        self,
        *,
        messages: MessageBridge,
        loader: Loader = load_manifest,
        secrets: SecretStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._messages = messages
        self._loader = loader
        self._secrets = secrets  # for a manifest URL of a site with secret headers
        self._tasks = TaskSet()
        self._profile: SiteProfile | None = None
        self._tag_pages: dict[str, tuple[str, ...]] | None = None  # made when first asked
        self.manifest: Manifest | None = None
        self.paths_tab = TargetTab(PathsModel(self), "Pages of the site")
        self.tags_tab = TargetTab(TagsModel(self), "Tags of the site")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.paths_tab, "Pages")
        self.tabs.addTab(self.tags_tab, "Tags")
        self.info = QLabel("")
        plain(self.info)
        self.info.setObjectName("manifestInfo")
        self.info.setWordWrap(True)
        self.conventions = QLabel("")  # "Next 15.5 · App Router · trailingSlash"
        self.conventions.setObjectName("siteConventions")
        self.conventions.setTextFormat(Qt.TextFormat.PlainText)
        self.reload_button = QPushButton("Reload list")
        self.reload_button.setToolTip("Read the site's manifest again")
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(
            "Filter pages and tags, or a pattern: /blog/** (Ctrl+F)"
        )
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter pages and tags")
        self.revalidate_button = QPushButton("Refresh selected")
        self.revalidate_button.setEnabled(False)
        self.type_box = QPlainTextEdit()
        self.type_box.setPlaceholderText(TYPE_HINT)
        self.type_box.setAccessibleName("Pages to refresh, one per line")
        self.type_box.setTabChangesFocus(True)  # Tab moves on, as in every other field
        lines = self.type_box.fontMetrics().lineSpacing()
        self.type_box.setFixedHeight(2 * lines + 14)  # two lines; it scrolls for more
        self.type_mode = QComboBox()
        self.type_mode.addItems(["Each line is a page", "Each line is a tag"])
        self.type_mode.setAccessibleName("What each typed line is")
        self.refresh_button = QPushButton("Refresh this page")
        self.refresh_button.setObjectName("primary")
        self.refresh_button.setEnabled(False)
        self.problems = QLabel("")
        plain(self.problems)  # quotes typed or manifest targets
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.problems.hide()
        self.anyway_button = QPushButton("Send anyway")
        self.anyway_button.setToolTip("Refresh the pages although the list does not name them")
        self.anyway_button.hide()
        self.pattern_count = QLabel("")  # "3 tags and 2 pages match; 40 pages touched"
        self.pattern_count.setObjectName("patternCount")
        self.pattern_count.setTextFormat(Qt.TextFormat.PlainText)
        self.pattern_count.hide()
        self.changed_button = QPushButton("What changed")
        self.changed_button.setToolTip(
            "The pages and tags that changed since the list before this one, and a button "
            "to refresh exactly those"
        )
        self.changed_button.hide()
        self.since_last: SinceLast | None = None
        self.changes_dialog: ChangesDialog | None = None
        self._known: frozenset[str] | None = None  # the loaded list's pages, made when asked
        self._layout()
        self._connect_signals()
        self._show_message_everywhere("Pick a site to see its pages.")

    def _layout(self) -> None:
        top = QHBoxLayout()
        title = QLabel("Pages and tags")
        title.setObjectName("panelTitle")
        top.addWidget(title)
        top.addWidget(self.filter_edit, 2)
        top.addWidget(self.info, 1)
        top.addWidget(self.reload_button)
        top.addWidget(self.changed_button)  # beside Reload: after a deploy, reload, then look
        self.tabs.setCornerWidget(self.revalidate_button)  # beside the tabs: no row of its own
        typed = QHBoxLayout()
        typed.addWidget(self.type_box, 1)
        side = QVBoxLayout()
        side.setSpacing(2)
        side.addWidget(self.type_mode)
        side.addWidget(self.refresh_button)
        typed.addLayout(side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.conventions)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(typed)
        checks = QHBoxLayout()
        checks.addWidget(self.pattern_count)
        checks.addWidget(self.problems, 1)
        checks.addWidget(self.anyway_button)
        layout.addLayout(checks)

    def _connect_signals(self) -> None:
        self.reload_button.clicked.connect(self.reload)
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self.revalidate_button.clicked.connect(self.revalidate_selected)
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        self.anyway_button.clicked.connect(self._on_anyway_button_clicked)
        self.changed_button.clicked.connect(self.show_changes)
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
        self._known = None
        self._tag_pages = None
        self._show_changes(None)
        self.pattern_count.hide()
        self.paths_tab.model.clear()
        self.tags_tab.model.clear()
        self.info.clear()
        self.conventions.clear()
        self.reload_button.setEnabled(bool(profile and profile.manifest_source))
        if profile is None:
            self._show_message_everywhere("Pick a site to see its pages.")
        elif not profile.manifest_source:
            self._show_message_everywhere(NO_MANIFEST_TEXT)
            self.info.setText("No list of pages: type them below")
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
        # The list first; then the comparison with the list before (it keeps a snapshot too):
        # only for the site's own manifest source, never another build (docs/patterns-and-diffs.md).
        if is_own_source(profile, source):
            changes = await asyncio.to_thread(_changes_since_last, profile.name, manifest)
            self._show_changes(changes)
        self.changes_shown.emit()

    def _load_prepared(
        self, source: str, profile: SiteProfile
    ) -> tuple[Manifest, Prepared[ManifestPath], Prepared[ManifestTag]]:
        # The profile's proxy and CA bundle for a manifest URL (docs/networks.md), and its
        # secret headers (sent only to the site's own origin: docs/reliability.md).
        if profile.secret_headers and self._secrets is not None and "://" in source:
            profile = with_secret_headers(profile, SecretHeaders(self._secrets.header_entries()))
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
        self._known = None
        self.paths_tab.model.set_prepared(paths)
        self.tags_tab.model.set_prepared(tags)
        for tab, what in ((self.paths_tab, "pages"), (self.tags_tab, "tags")):
            if tab.model.total:
                tab.show_table()
            else:
                tab.show_message(f"The manifest lists no {what}. Type them in the box below.")
        text = f"{plural(len(manifest.paths), 'page')} · {manifest.tag_counts()}"
        self.info.setToolTip(f"The list of pages was read in {elapsed_ms:,.0f} ms")
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
        self._show_pattern_count(self.filter_edit.text().strip())
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
        # A URL not on the site is refused, not sent as a path: the CLI's rule and words.
        return parse_targets(self.type_box.toPlainText(), as_tags=as_tags, site=self._profile)

    def revalidate_selected(self) -> None:
        targets = self.selected_targets()
        if targets:
            self.revalidate_requested.emit(targets)
        else:
            self._messages.warning("Select pages or tags first (click, Shift+click, Ctrl+A)")

    def revalidate_typed(self, *, anyway: bool = False) -> None:
        parsed = self.typed()
        if parsed.problems:
            self._show_problems("Not sent — " + "; ".join(parsed.problems[:3]))
            return
        if not parsed.targets:
            self._messages.warning("Type a page first, for example /blog/hello-world")
            return
        if self._known is None:
            self._known = known_pages(self.manifest)  # made on the first question
        unknown = unknown_pages(parsed.targets, self._known)
        # A tag the list does not name (renamed since?) reaches no page: flagged the same way.
        tags = unknown_tags(parsed.targets, known_tags(self.manifest))
        if (unknown or tags) and not anyway:
            texts = [unknown_text(unknown)] if unknown else []
            self._show_problems(" ".join([*texts, *([unknown_tags_text(tags)] if tags else [])]))
            self.anyway_button.show()
            return
        self.anyway_button.hide()
        self.revalidate_requested.emit(list(parsed.targets))

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
        self._show_pattern_count(text.strip())

    def _show_pattern_count(self, text: str) -> None:
        """A pattern's count, before anything is sent: what matches, and what its tags touch."""
        if not is_glob(text) or self.manifest is None:
            self.pattern_count.hide()
            return
        chosen = select(self.manifest, tag_globs=[text], path_globs=[text])
        self.pattern_count.setText(pattern_text(text, len(chosen.paths), len(chosen.tags),
                                                len(chosen.touched)))  # fmt: skip
        self.pattern_count.show()

    def _show_changes(self, changes: SinceLast | None) -> None:
        self.since_last = changes
        if self.changes_dialog is not None:
            self.changes_dialog.close()
            self.changes_dialog = None
        if changes is None:
            self.changed_button.hide()
            return
        targets = changes.targets(self._profile)  # the site's: a path where a tag does nothing
        text = f"What changed ({describe_targets(targets)})" if targets else "What changed"
        self.changed_button.setText(text)
        self.changed_button.setToolTip(changes.summary())
        self.changed_button.show()

    def show_changes(self) -> None:
        """Open the "What changed" window for the loaded list (non-modal)."""
        profile, changes = self._profile, self.since_last
        if changes is None or profile is None:
            return
        if self.changes_dialog is not None:
            self.changes_dialog.close()
        self.changes_dialog = ChangesDialog(changes, profile=profile, parent=self)
        self.changes_dialog.refresh_requested.connect(self.revalidate_requested)
        self.changes_dialog.open()

    def revalidate_changes(self) -> None:
        """Send exactly what changed since the list before (``isr-desk manifest diff``)."""
        if self.since_last is not None and (targets := self.since_last.targets(self._profile)):
            self.revalidate_requested.emit(targets)

    def _update_tab_titles(self) -> None:
        paths, tags = self.paths_tab.model, self.tags_tab.model
        for position, name, shown, total in (
            (0, "Pages", paths.rowCount(), paths.total),
            (1, "Tags", tags.rowCount(), tags.total),
        ):
            count = f"{shown:,}" if shown == total else f"{shown:,} of {total:,}"
            self.tabs.setTabText(position, f"{name} ({count})" if total else name)

    def _update_selection_button(self, *_: object) -> None:
        count = self.current_tab().selected_count()
        tags = self.current_tab() is self.tags_tab
        what = "tag" if tags else "page"
        refused = tags_refused(self._profile, [Target.tag("")]) if tags else ""
        self.revalidate_button.setEnabled(count > 0 and not refused)
        self.revalidate_button.setToolTip(refused)
        self.revalidate_button.setText(
            f"Refresh {plural(count, 'selected ' + what)}" if count else "Refresh selected"
        )

    def _on_typed_changed(self, *_: object) -> None:
        parsed = self.typed()
        targets = parsed.targets
        refused = tags_refused(self._profile, targets)  # said before the button is pressed
        self._show_problems("; ".join([*parsed.problems[:3], *([refused] if refused else [])]))
        self.anyway_button.hide()
        self.refresh_button.setEnabled(bool(targets) and self._profile is not None and not refused)
        if len(targets) == 1:
            tag = targets[0].kind is TargetKind.TAG
            self.refresh_button.setText("Refresh this tag" if tag else "Refresh this page")
        elif targets:  # "Refresh 2 pages and 1 tag": pages and tags counted apart
            self.refresh_button.setText(f"Refresh {describe_targets(targets)}")
        else:
            self.refresh_button.setText("Refresh this page")

    def _on_refresh_button_clicked(self) -> None:
        self.revalidate_typed()

    def _on_anyway_button_clicked(self) -> None:
        self.revalidate_typed(anyway=True)

    def _show_problems(self, text: str) -> None:
        self.problems.setText(text)
        self.problems.setVisible(bool(text))  # no empty line taking room

    def shutdown(self) -> None:
        self._tasks.cancel_all()


def pattern_text(pattern: str, pages: int, tags: int, touched: int) -> str:
    """``5 tags match catalog:*; they touch 60 pages`` — no "0 pages and" an editor must skip."""
    found = [plural(n, what) for n, what in ((pages, "page"), (tags, "tag")) if n]
    if not found:
        return f"Nothing matches {pattern}"
    verb = "matches" if pages + tags == 1 else "match"
    text = f"{' and '.join(found)} {verb} {pattern}"
    if tags:
        text += f"; {'it touches' if tags == 1 else 'they touch'} {plural(touched, 'page')}"
    return text


def _changes_since_last(site: str, manifest: Manifest) -> SinceLast | None:
    """What changed since the site's previous snapshot; keeps a snapshot of ``manifest``.
    A snapshot that cannot be read or written only means no "what changed" (worker thread)."""
    try:
        return changes_since_last(site, manifest)
    except (OSError, IsrError):
        return None
