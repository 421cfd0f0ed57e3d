"""设置: officer profile and where the data lives."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from ui.context import AppContext
from ui.dialogs.profile_dialog import LABELS, ProfileDialog
from ui.widgets.security_panel import SecurityPanel
from zsapp import __version__, catalogue, profile


class SettingsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.summary = QLabel()
        self.summary.setObjectName("settingsSummary")
        self.summary.setWordWrap(True)
        edit = QPushButton("编辑个人资料…")
        edit.clicked.connect(self.edit_profile)
        self.thresholds_button = QPushButton("准入阈值（投资强度、亩均税收下限）…")
        self.thresholds_button.setObjectName("settingsThresholds")
        self.thresholds_button.clicked.connect(self.edit_thresholds)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(edit)
        layout.addWidget(self.thresholds_button)
        self.security_button = QPushButton("数据安全（自动锁定、导出记录、待复核记录）…")
        self.security_button.setObjectName("settingsSecurity")
        self.security_button.clicked.connect(self.open_security)  # issue 14
        layout.addWidget(self.security_button)
        layout.addStretch(1)
        ctx.watch(self, {"settings", "catalogue_versions"}, self.refresh)
        self.refresh()

    def refresh(self, _changed: frozenset[str] = frozenset()) -> None:
        data = profile.get_profile(self.ctx.store)
        rows = "".join(
            f"<tr><td>{LABELS[k]}</td><td>{html.escape(v) or '—'}</td></tr>"
            for k, v in vars(data).items()
        )
        store = self.ctx.store
        self.summary.setText(
            f"<h2>个人资料</h2><table cellpadding=4>{rows}</table>"
            f"<h2>数据</h2><p>数据库：{html.escape(str(store.path))}<br>"
            f"结构版本：{store.schema_version} · 指导目录版本：{catalogue.current_version(store)}<br>"
            f"本机设备编号：{store.device_id}<br>招商助手 {__version__}</p>"
        )

    def open_security(self) -> SecurityPanel:
        self.security = SecurityPanel(self.ctx, self.window())
        self.security.open()
        return self.security

    def edit_thresholds(self):
        from ui.dialogs.project_dialog import ThresholdsDialog

        self.dialog = ThresholdsDialog(self.ctx, self.window())
        self.dialog.open()
        return self.dialog

    def edit_profile(self) -> None:
        ProfileDialog(self.ctx.store, parent=self).exec()
