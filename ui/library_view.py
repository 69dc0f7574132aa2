"""The model library: a production's packs with their version, signature status and provenance; import, verify.

Reads the library through ``core.packs`` exactly as ``answerprint packs list|inspect|verify|install`` do:
``list_packs`` verifies every pack (signature, production, graph against manifest), ``install_pack`` refuses
anything that would not verify, ``load_pack`` says in one line why a pack is refused.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSplitter,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from answerprint.core.errors import AnswerprintError
from answerprint.core.packs import LibraryEntry, Manifest, install_pack, list_packs, list_productions, load_pack

from . import theme

COLUMNS = ("Pack", "Version", "Created", "Signature")
#: Characters of the training configuration shown (``answerprint packs inspect`` prints all of it).
CONFIG_SHOWN = 240


def _shortened(text: str) -> str:
    return text if len(text) <= CONFIG_SHOWN else text[:CONFIG_SHOWN] + "… (answerprint packs inspect shows all)"


def describe_pack(manifest: Manifest | None, problem: str | None, path: str) -> str:
    """What an assistant editor checks before handing a pack out: identity, signature, provenance, metrics."""
    lines = [f"file       {path}",
             "signature  " + ("VALID: signed by a key of its production" if problem is None else f"REFUSED: {problem}")]
    if manifest is None:
        return "\n".join(lines + ["(the manifest cannot be read)"])
    data = manifest.to_dict()
    provenance = data["provenance"]
    trained_by = provenance["trained_by"]
    lines += [f"pack       {manifest.pack_id} ({manifest.precision})",
              f"production {manifest.production_id} ({manifest.production_name})",
              f"trained    {provenance['trained_at']} by {trained_by['user']} on {trained_by['host']}",
              "metrics    " + (", ".join(f"{k} {v:g}" for k, v in sorted(provenance["validation_metrics"].items()))
                              or "none"),
              f"training   {_shortened(str(provenance['training_config']))}",
              f"source dailies ({len(provenance['sources'])}):"]
    for clip in provenance["sources"]:
        ranges = ", ".join(f"{first}-{last}" for first, last in clip["frame_ranges"])
        lines.append(f"  {clip['path']}  frames {ranges}  sha256 {clip['sha256'][:16]}…")
    override = provenance["approved_media_override"]
    if override is not None:
        lines.append(f"APPROVED-MEDIA OVERRIDE by {override['by']} at {override['at']}: {override['reason']}")
    return "\n".join(lines)


class LibraryView(QWidget):
    """Packs of the chosen production.

    Signals
    -------
    production_changed(str)
        Another production was chosen.
    pack_chosen(str, str)
        ``(effect, pack path)``: the user asked to use a pack in the panel.
    message(str)
        A one-line outcome for the status bar (imported, verified).
    error(str)
        A one-line refusal for an error dialog.
    """

    production_changed = Signal(str)
    pack_chosen = Signal(str, str)
    message = Signal(str)
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.production = QComboBox()
        self.production.setObjectName("production")
        self.production.currentTextChanged.connect(self._production_chosen)
        self.tree = QTreeWidget()
        self.tree.setObjectName("packs")
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(True)
        self.tree.currentItemChanged.connect(self._show_details)
        self.details = QPlainTextEdit()
        self.details.setObjectName("pack_details")
        self.details.setReadOnly(True)
        buttons = QHBoxLayout()
        for label, name, slot, tip in (("Import pack…", "import_pack", self.import_pack, "Verify a pack and copy it "
                                        "into this production's library"),
                                       ("Verify", "verify_pack", self.verify_selected, "Check the selected pack as "
                                        "a render would"),
                                       ("Use in panel", "use_pack", self.use_selected, "Choose the selected pack for "
                                        "its effect"),
                                       ("Refresh", "refresh_library", self.refresh, "Read the library again")):
            button = QPushButton(label)
            button.setObjectName(name)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(QLabel("Production"))
        top.addWidget(self.production, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.details)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.entries: list[LibraryEntry] = []

    def load_productions(self, current: str | None = None) -> None:
        """Fill the production list from the library and choose ``current`` (or the first)."""
        ids = [production.id for production in list_productions()]
        self.production.blockSignals(True)
        self.production.clear()
        self.production.addItems(ids)
        if current in ids:
            self.production.setCurrentText(current)
        self.production.blockSignals(False)
        self.refresh()

    def current_production(self) -> str | None:
        return self.production.currentText() or None

    def _production_chosen(self, production: str) -> None:
        self.refresh()
        if production:
            self.production_changed.emit(production)

    def refresh(self) -> None:
        """List the production's packs again, grouped by effect, each verified."""
        self.tree.clear()
        production = self.current_production()
        self.entries = list_packs(production) if production else []
        groups: dict[str, QTreeWidgetItem] = {}
        for entry in self.entries:
            effect = entry.manifest.effect if entry.manifest else "unreadable"
            if effect not in groups:
                groups[effect] = QTreeWidgetItem(self.tree, [effect])
                groups[effect].setExpanded(True)
            manifest = entry.manifest
            status = "verified" if entry.verified else f"REFUSED: {entry.problem}"
            item = QTreeWidgetItem(groups[effect], [manifest.name if manifest else entry.path.name,
                                                    manifest.version if manifest else "?",
                                                    manifest.created if manifest else "?", status])
            item.setForeground(3, QColor(theme.TEXT if entry.verified else theme.ERROR))
            item.setData(0, Qt.ItemDataRole.UserRole, entry)
        for column in range(len(COLUMNS) - 1):
            self.tree.resizeColumnToContents(column)

    def packs_for(self, effect: str) -> list[LibraryEntry]:
        """The production's verified packs of ``effect``, as the panel's pack picker offers them."""
        return [e for e in self.entries if e.verified and e.manifest and e.manifest.effect == effect]

    def selected_entry(self) -> LibraryEntry | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, Qt.ItemDataRole.UserRole)

    def select_pack(self, path: str) -> None:
        """Make the row of the pack at ``path`` current."""
        for index in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(index)
            for child in range(group.childCount()):
                entry = group.child(child).data(0, Qt.ItemDataRole.UserRole)
                if str(entry.path) == str(path):
                    self.tree.setCurrentItem(group.child(child))

    def _show_details(self, *_: Any) -> None:
        entry = self.selected_entry()
        self.details.setPlainText("" if entry is None else describe_pack(entry.manifest, entry.problem,
                                                                         str(entry.path)))

    def import_pack(self, path: str | None = None) -> None:
        """Verify a pack and install it into the production's library (asks for the file when not given)."""
        production = self.current_production()
        if not production:
            self.error.emit("no production in the library: create one with answerprint keys init --production ID")
            return
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Import a model pack", "", "Model packs (*.onnx)")
            if not path:
                return
        try:
            pack = install_pack(path, production)
        except AnswerprintError as error:
            self.error.emit(error.one_line())
            return
        self.refresh()
        self.select_pack(pack.path)
        self.message.emit(f"imported {pack.pack_id}: signature verified")

    def verify_selected(self) -> None:
        """Check the selected pack as a render would; the outcome goes to ``message`` or ``error``."""
        entry = self.selected_entry()
        if entry is None:
            return
        try:
            pack = load_pack(entry.path, self.current_production(), allow_unsigned=False)
        except AnswerprintError as error:
            self.error.emit(error.one_line())
            return
        self.message.emit(f"OK {pack.pack_id}: signed by key {pack.signed_by}; graph matches its manifest")

    def use_selected(self) -> None:
        entry = self.selected_entry()
        if entry is not None and entry.verified and entry.manifest is not None:
            self.pack_chosen.emit(entry.manifest.effect, str(entry.path))
