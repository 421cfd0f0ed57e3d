"""同步: server and device, 立即同步 with progress, the conflict list and the sync log.
Auto-sync runs in the background (on start, every N minutes, after edits settle); being
offline is normal and shown in the status bar, never as an error dialog."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui import filedialogs
from ui.context import AppContext
from ui.models.paged import Column, PagedModel
from ui.widgets.sync_status import SyncStatusIndicator
from zsapp.security.errors import DeviceWiped
from zsapp.sync import client as sync_client
from zsapp.sync import conflicts

PAGE_SIZE = 100
AUTO_INTERVAL_MIN = 10
SETTLE_MS = 30_000
TABLE_LABELS = {
    "companies": "客商",
    "people": "联系人",
    "visits": "拜访",
    "projects": "项目",
    "followups": "跟进",
    "attachments": "附件",
    "parks": "园区",
    "admission_thresholds": "准入门槛",
}


FIELD_LABELS = {
    "name": "名称",
    "short_name": "简称",
    "notes": "备注",
    "title": "职务/标题",
    "mobile": "手机",
    "email": "邮箱",
    "deleted": "删除",
    "tags": "标签",
    "outcome": "意向",
    "text": "内容",
    "due_date": "到期日",
    "stage": "阶段",
    "company_id": "所属企业",
    "merged_into": "合并到",
    "website": "网站",
    "revenue_wan": "营收（万元）",
}


def _short(value: Any) -> str:
    if value is None:
        return "（空）"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text if text != "" else "（空）"
    return text if len(text) <= 40 else text[:39] + "…"


def _conflict_record(row: dict[str, Any]) -> str:
    table = row["table_name"]
    return f"{TABLE_LABELS.get(table, table)} · {_short(row['title'])}"


def _winner(row: dict[str, Any], full: bool) -> str:
    winner = row["winner_value"]
    text = winner if row["kind"] != "delete_edit" or row["field"] == "deleted" else "（记录已删除）"
    shown = text if full and isinstance(text, str) else _short(text)
    return f"{shown}（{row['winner_officer']}）"


def _loser(row: dict[str, Any], full: bool) -> str:
    return f"{row['loser_value'] if full else _short(row['loser_value'])}（{row['loser_officer']}）"


class ConflictModel(PagedModel):
    """Open conflicts, newest first (zsapp.sync.conflicts)."""

    COLUMNS = [
        Column("kind", "类型", None, lambda r: r["kind_label"]),
        Column("record", "记录", None, _conflict_record),
        Column("field", "字段", None, lambda r: FIELD_LABELS.get(r["field"], r["field"])),
        Column(
            "winner",
            "当前值",
            None,
            lambda r: _winner(r, False),
            tooltip=lambda r: _winner(r, True),
        ),
        Column(
            "loser",
            "被覆盖的值",
            None,
            lambda r: _loser(r, False),
            tooltip=lambda r: _loser(r, True),
        ),
    ]

    def __init__(self, store, parent=None) -> None:
        super().__init__(parent, page_size=PAGE_SIZE)
        self.store = store

    def fetch(self, offset: int, limit: int, after: dict[str, Any] | None) -> list[dict[str, Any]]:
        rows = conflicts.list_conflicts(self.store, limit=limit, offset=offset)
        for row in rows:
            row["title"] = conflicts.record_title(self.store, row["table_name"], row["row_id"])
        return rows

    def count(self) -> int:
        return conflicts.count_conflicts(self.store)

    def row_at(self, index: QModelIndex) -> dict[str, Any] | None:
        return self.row(index.row()) if index.isValid() and index.row() < self.total else None


def _log_result(row: dict[str, Any]) -> str:
    if row["ok"]:
        return "成功"
    return "离线" if row["error"].startswith("[offline]") else "失败"


class LogModel(PagedModel):
    """Finished sync runs, newest first."""

    COLUMNS = [
        Column(
            "started_at", "时间", None, lambda r: (r["started_at"] or "").replace("T", " ")[:19]
        ),
        Column("ok", "结果", None, _log_result),
        Column("pushed", "上传"),
        Column("pulled", "下载"),
        Column("conflicts", "冲突"),
        Column("error", "说明", None, lambda r: r["error"].split("] ", 1)[-1]),
    ]

    def __init__(self, store, parent=None) -> None:
        super().__init__(parent, page_size=PAGE_SIZE)
        self.store = store

    def fetch(self, offset: int, limit: int, after: dict[str, Any] | None) -> list[dict[str, Any]]:
        return conflicts.list_log(self.store, limit=limit, offset=offset)

    def count(self) -> int:
        return conflicts.count_log(self.store)


class SyncPage(QWidget):
    sync_finished = Signal(object)  # SyncResult or exception

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.running = False
        self.indicator = SyncStatusIndicator(ctx, self)

        info = QGroupBox("服务器与设备")
        form = QFormLayout(info)
        self.server_label, self.officer_label, self.device_label = QLabel(), QLabel(), QLabel()
        self.last_label, self.pending_label, self.result_label = QLabel(), QLabel(), QLabel()
        self.clock_label = QLabel()
        self.quarantine_label = QLabel()
        self.quarantine_label.setObjectName("syncQuarantine")
        self.quarantine_label.setWordWrap(True)
        self.clock_label.setStyleSheet("color: #c62828;")
        self.clock_label.setWordWrap(True)
        for name, label in (
            ("syncServer", self.server_label),
            ("syncOfficer", self.officer_label),
            ("syncDevice", self.device_label),
            ("syncLast", self.last_label),
            ("syncPending", self.pending_label),
            ("syncResult", self.result_label),
        ):
            label.setObjectName(name)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("服务器：", self.server_label)
        form.addRow("干部：", self.officer_label)
        form.addRow("设备：", self.device_label)
        form.addRow("上次成功同步：", self.last_label)
        form.addRow("待同步修改：", self.pending_label)
        form.addRow("上次结果：", self.result_label)
        form.addRow("暂存的记录：", self.quarantine_label)
        form.addRow(self.clock_label)

        self.enroll_box = QGroupBox("登记本设备")
        enroll = QFormLayout(self.enroll_box)
        self.url_edit = QLineEdit()
        self.url_edit.setObjectName("syncUrl")
        self.url_edit.setPlaceholderText("https://服务器地址:8765")
        self.code_edit = QLineEdit()
        self.code_edit.setObjectName("syncCode")
        self.code_edit.setPlaceholderText("管理员给的一次性登记码，如 ABCD-EFGH-JKLM")
        for edit in (self.url_edit, self.code_edit):
            edit.setMinimumWidth(120)
        self.ca_edit = QLineEdit()
        self.ca_edit.setMinimumWidth(80)
        self.ca_edit.setPlaceholderText("可选：单位自建 CA 证书文件")
        ca_button = QPushButton("选择…")
        ca_button.clicked.connect(self._pick_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_edit, 1)
        ca_row.addWidget(ca_button)
        self.enroll_button = QPushButton("登记")
        self.enroll_button.setObjectName("syncEnroll")
        self.enroll_button.clicked.connect(self.enroll)
        self.enroll_message = QLabel()
        self.enroll_message.setObjectName("syncEnrollMessage")
        self.enroll_message.setWordWrap(True)
        enroll.addRow("服务器地址：", self.url_edit)
        enroll.addRow("登记码：", self.code_edit)
        enroll.addRow("CA 证书：", ca_row)
        enroll.addRow(self.enroll_button, self.enroll_message)

        self.sync_button = QPushButton("立即同步")
        self.sync_button.setObjectName("syncNow")
        self.sync_button.clicked.connect(self.sync_now)
        self.progress = QProgressBar()
        self.progress.setObjectName("syncProgress")
        self.progress.setTextVisible(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.message = QLabel()
        self.message.setObjectName("syncMessage")
        self.message.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.sync_button)
        actions.addWidget(self.progress, 1)

        self.conflict_model = ConflictModel(ctx.store, self)
        self.conflict_view = self._table(self.conflict_model, "syncConflicts")
        self.restore_button = QPushButton("恢复被覆盖的值")
        self.restore_button.setObjectName("conflictRestore")
        self.restore_button.clicked.connect(self.restore_selected)
        self.dismiss_button = QPushButton("保留当前值")
        self.dismiss_button.setObjectName("conflictDismiss")
        self.dismiss_button.clicked.connect(self.dismiss_selected)
        conflict_tab = QWidget()
        cl = QVBoxLayout(conflict_tab)
        cl.addWidget(self.conflict_view, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.restore_button)
        cl.addLayout(buttons)
        self.log_model = LogModel(ctx.store, self)
        self.log_view = self._table(self.log_model, "syncLog")
        self.tabs = QTabWidget()
        self.tabs.addTab(conflict_tab, "冲突")
        self.tabs.addTab(self.log_view, "同步记录")

        top = QHBoxLayout()
        top.addWidget(info, 1)
        top.addWidget(self.enroll_box, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

        # Background sync: on start, every N minutes, and after edits settle.
        self.auto_timer = QTimer(self)
        self.auto_timer.setInterval(AUTO_INTERVAL_MIN * 60_000)
        self.auto_timer.timeout.connect(self.auto_sync)
        self.settle_timer = QTimer(self)
        self.settle_timer.setSingleShot(True)
        self.settle_timer.setInterval(SETTLE_MS)
        self.settle_timer.timeout.connect(self.auto_sync)
        ctx.watch(self, {"outbox"}, self._on_local_change)
        ctx.watch(self, {"settings", "sync_log", "sync_conflicts", "sync_quarantine"}, self.refresh)
        self.refresh()
        QTimer.singleShot(0, self, self._attach_status_bar)
        if sync_client.get_config(ctx.store):
            self.auto_timer.start()
            QTimer.singleShot(3000, self, self.auto_sync)

    def _table(self, model, name: str) -> QTableView:
        view = QTableView()
        view.setObjectName(name)
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().hide()
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        return view

    def _attach_status_bar(self) -> None:
        window = self.window()
        label = window.findChild(QLabel, "syncStatus") if window is not None else None
        if label is not None:
            self.indicator.attach(label)

    def _pick_ca(self) -> None:
        path = filedialogs.open_file(self, "选择 CA 证书", "证书 (*.pem *.crt *.cer);;所有文件 (*)")
        if path:
            self.ca_edit.setText(path)

    # -- state ---------------------------------------------------------------------------
    def refresh(self, _changed: frozenset[str] = frozenset()) -> None:
        st = sync_client.status(self.ctx.store)
        self.server_label.setText(st["server"] or "未登记")
        self.officer_label.setText(f"{st['officer']}（{st['unit']}）" if st["officer"] else "—")
        self.device_label.setText(st["device_id"][:12] + "…")
        self.device_label.setToolTip(st["device_id"])
        self.last_label.setText((st["last_sync"] or "从未").replace("T", " ")[:19])
        self.pending_label.setText(f"{st['pending']} 条")
        last = st["last_result"]
        self.result_label.setText(
            f"上传 {last['pushed']} · 下载 {last['pulled']} · 冲突 {last['conflicts']}"
            if last
            else "—"
        )
        self._show_quarantine(int(st.get("quarantined") or 0))
        skew = int(st.get("clock_skew_ms") or 0)
        self.clock_label.setText(
            f"本机时钟与服务器相差约 {abs(skew) // 3600_000} 小时，请校准系统时间。"
            if abs(skew) > sync_client.SKEW_WARN_MS
            else ""
        )
        self.enroll_box.setTitle("重新登记本设备" if st["enrolled"] else "登记本设备")
        self.sync_button.setEnabled(st["enrolled"] and not self.running)
        self.conflict_model.reload()
        self.log_model.reload()
        self.tabs.setTabText(
            0, f"冲突（{st['open_conflicts']}）" if st["open_conflicts"] else "冲突"
        )
        self.indicator.refresh()

    def _show_quarantine(self, count: int) -> None:
        """Records set aside by sync (malformed from the server, or refused by it) stay
        visible here until dealt with; the rest of the data syncs normally."""
        if not count:
            self.quarantine_label.setText("无")
            self.quarantine_label.setStyleSheet("")
            self.quarantine_label.setToolTip("")
            return
        self.quarantine_label.setText(
            f"{count} 条记录无法同步，已单独存放，其余数据照常同步"
            "（命令行 zsapp sync quarantine 可查看详情）"
        )
        self.quarantine_label.setStyleSheet("color: #c62828;")
        rows = sync_client.quarantined(self.ctx.store, 10)
        self.quarantine_label.setToolTip(
            "\n".join(
                f"{'下载' if r['direction'] == 'pull' else '上传'} {r['table_name']} "
                f"{r['row_id'][:8]}：{r['reason']}"
                for r in rows
            )
        )

    def _on_local_change(self, _changed: frozenset[str]) -> None:
        """Edits queue changes in the outbox: show them, sync once the edits settle."""
        pending = sync_client.status(self.ctx.store)["pending"]
        self.pending_label.setText(f"{pending} 条")
        if pending and sync_client.get_config(self.ctx.store):
            self.settle_timer.start()

    # -- actions ---------------------------------------------------------------------------
    def enroll(self) -> None:
        url, code, ca = (
            self.url_edit.text().strip(),
            self.code_edit.text().strip(),
            self.ca_edit.text().strip() or None,
        )
        if not url or not code:
            self.enroll_message.setText("请填写服务器地址和登记码")
            return
        self.enroll_button.setEnabled(False)
        self.enroll_message.setText("正在登记…")

        def done(info):
            self.enroll_button.setEnabled(True)
            self.code_edit.clear()
            self.enroll_message.setText(f"已登记：{info['officer']}（{info['unit']}）")
            self.auto_timer.start()
            self.refresh()
            self.sync_now()

        def failed(exc):
            self.enroll_button.setEnabled(True)
            self.enroll_message.setText(str(exc))

        self.ctx.tasks.run(
            lambda: sync_client.enroll(self.ctx.store, url, code, ca_file=ca),
            done,
            failed,
            db=False,
        )

    def auto_sync(self) -> None:
        if not self.running and sync_client.get_config(self.ctx.store):
            self.sync_now(auto=True)

    def sync_now(self, auto: bool = False) -> None:
        if self.running:
            return
        self.running = True
        self.sync_button.setEnabled(False)
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.message.setText("正在同步…（可以继续工作，同步期间的修改会在下次同步上传）")
        self.indicator.set_running(True)
        self.ctx.tasks.run(
            lambda progress: sync_client.sync_now(self.ctx.store, progress=progress),
            self._sync_done,
            self._sync_failed,
            self._sync_progress,
            db=False,
        )

    def _sync_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))

    def _finish(self) -> None:
        self.running = False
        self.indicator.set_running(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)

    def _sync_done(self, result) -> None:
        self._finish()
        text = f"同步完成：上传 {result.pushed}，下载 {result.pulled}"
        if result.conflicts:
            text += f"，{result.conflicts} 条新冲突（见下方冲突列表）"
        for warning in result.warnings:
            text += f"\n注意：{warning}"
        self.message.setText(text)
        self.refresh()
        self.sync_finished.emit(result)

    def _sync_failed(self, exc: BaseException) -> None:
        if isinstance(exc, DeviceWiped):  # issue 14: marked lost, local data erased
            from ui.lock import show_wiped

            self.running = False
            show_wiped(self.window(), str(exc))
            self.sync_finished.emit(exc)
            return
        self._finish()
        if isinstance(exc, sync_client.OfflineError):
            self.message.setText("离线：暂时连不上服务器，修改都保存在本机，联网后会自动同步。")
        elif isinstance(exc, sync_client.AuthRequired):
            self.message.setText(f"{exc}\n请在右上方用新的登记码重新登记。")
        elif isinstance(exc, sync_client.SyncError):
            self.message.setText(str(exc))
        else:
            self.message.setText(f"同步出错：{exc}（本机数据不受影响）")
        self.refresh()
        self.sync_finished.emit(exc)

    def _selected_conflict(self) -> dict | None:
        rows = self.conflict_view.selectionModel().selectedRows()
        return self.conflict_model.row_at(rows[0]) if rows else None

    def restore_selected(self) -> None:
        row = self._selected_conflict()
        if row is None:
            self.message.setText("请先在冲突列表中选择一条")
            return
        try:
            conflicts.restore(self.ctx.store, row["id"])
        except Exception as exc:  # shown, never lost
            QMessageBox.warning(self, "无法恢复", str(exc))
            return
        self.message.setText("已恢复被覆盖的值，将在下次同步时上传")
        self.refresh()

    def dismiss_selected(self) -> None:
        row = self._selected_conflict()
        if row is None:
            self.message.setText("请先在冲突列表中选择一条")
            return
        conflicts.dismiss(self.ctx.store, row["id"])
        self.refresh()
