"""设置 → 数据安全 (a dialog opened from 设置): encryption state, auto-lock minutes, lock now, the export log, records
untouched for years (for review). Qt only; the logic is in zsapp.security."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from zsapp.security import applock, dbcrypt, erasure, exportlog, keys

EXPORT_COLUMNS = ["时间", "导出人", "内容", "条数", "格式", "文件"]
STALE_COLUMNS = ["类别", "名称", "最后更新"]


class SecurityPanel(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("数据安全")
        self.resize(760, 520)
        self.ctx = ctx
        self.setObjectName("securityPanel")
        store = ctx.store
        envelope = keys.read_envelope(store.path) or {}
        source = {"keyring": "系统密钥库", "passphrase": "口令（Argon2id）"}.get(
            envelope.get("source", ""), "—"
        )
        self.state = QLabel(
            f"本机数据库与附件已加密（SQLCipher {dbcrypt.cipher_version(store)}，"
            f"AES-256）；密钥保管：{source}"
        )
        self.state.setWordWrap(True)
        self.idle = QSpinBox()
        self.idle.setObjectName("securityIdleMinutes")
        self.idle.setRange(1, 240)
        self.idle.setSuffix(" 分钟")
        self.idle.setValue(applock.idle_minutes(store))
        self.idle.valueChanged.connect(lambda v: applock.set_idle_minutes(self.ctx.store, v))
        self.lock_button = QPushButton("立即锁定")
        self.lock_button.setObjectName("securityLockNow")
        self.lock_button.clicked.connect(self.lock_now)
        self.lock_button.setEnabled(applock.can_lock(store))
        form = QFormLayout()
        form.addRow("空闲自动锁定", self.idle)

        self.exports = QTableWidget(0, len(EXPORT_COLUMNS))
        self.exports.setObjectName("securityExportLog")
        self.exports.setHorizontalHeaderLabels(EXPORT_COLUMNS)
        self.exports.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.exports.verticalHeader().hide()
        self.exports.horizontalHeader().setStretchLastSection(True)
        self.exports.setMinimumHeight(48)  # the page must still fit a small window

        self.years = QSpinBox()
        self.years.setObjectName("securityReviewYears")
        self.years.setRange(1, 30)
        self.years.setSuffix(" 年")
        self.years.setValue(
            int(store.get_setting(erasure.REVIEW_KEY, erasure.DEFAULT_REVIEW_YEARS))
        )
        self.years.valueChanged.connect(self._years_changed)
        self.stale = QTableWidget(0, len(STALE_COLUMNS))
        self.stale.setObjectName("securityStale")
        self.stale.setHorizontalHeaderLabels(STALE_COLUMNS)
        self.stale.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.stale.verticalHeader().hide()
        self.stale.horizontalHeader().setStretchLastSection(True)
        self.stale.setMinimumHeight(48)

        top = QHBoxLayout()
        top.addLayout(form)
        top.addWidget(self.lock_button)
        top.addStretch(1)
        review_page = QWidget()
        review = QVBoxLayout(review_page)
        review.setContentsMargins(0, 0, 0, 0)
        years_row = QHBoxLayout()
        years_row.addWidget(QLabel("多久未更新的联系人与企业需要复核："))
        years_row.addWidget(self.years)
        years_row.addStretch(1)
        review.addLayout(years_row)
        review.addWidget(self.stale)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.exports, "导出记录（同步到省招商办）")
        self.tabs.addTab(review_page, "长期未更新（待复核）")
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addLayout(top)
        layout.addWidget(self.tabs)
        ctx.watch(self, ["export_log", "people", "companies"], self._changed)
        self.refresh()

    def _changed(self, areas) -> None:
        self.refresh()

    def _years_changed(self, years: int) -> None:
        self.ctx.store.set_setting(erasure.REVIEW_KEY, int(years))
        self.refresh()

    def lock_now(self) -> None:
        controller = getattr(
            self.parentWidget().window() if self.parentWidget() else None, "lock_controller", None
        )
        if controller is not None:
            controller.lock()
        else:
            applock.lock(self.ctx.store)

    def refresh(self) -> None:
        rows = exportlog.entries(self.ctx.store, 200)
        self.exports.setRowCount(len(rows))
        for i, r in enumerate(rows):
            values = [r["at"], r["officer"], r["what"], str(r["rows"]), r["format"], r["target"]]
            for j, v in enumerate(values):
                self.exports.setItem(i, j, QTableWidgetItem(v))
        self.exports.resizeColumnsToContents()
        stale = erasure.stale_records(self.ctx.store, self.years.value())
        self.stale.setRowCount(len(stale))
        for i, r in enumerate(stale):
            for j, v in enumerate([r["kind"], r["name"], r["last_changed"]]):
                self.stale.setItem(i, j, QTableWidgetItem(v))
