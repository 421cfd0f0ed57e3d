"""Status-bar sync indicator shown everywhere: 已同步 / n 条待同步 / 同步中 / 离线 / 错误."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel

from zsapp.sync import client as sync_client

STYLES = {
    "synced": "color: #2e7d32;",
    "pending": "color: #8a6d00;",
    "running": "color: #1f5fa8;",
    "offline": "color: #666666;",
    "error": "color: #c62828;",
    "not_enrolled": "color: #666666;",
    "never": "color: #8a6d00;",
}


def describe(status: dict, running: bool = False) -> tuple[str, str]:
    """(state key, text) for a status dict from zsapp.sync.client.status()."""
    pending = status.get("pending", 0)
    if running:
        return "running", "同步中…"
    state = status.get("state", "never")
    if state == "not_enrolled":
        return state, f"未登记服务器 · {pending} 条本机修改" if pending else "未登记服务器"
    if state == "offline":
        return state, f"离线 · {pending} 条待同步" if pending else "离线"
    if state == "error":
        return state, "同步错误" + (f" · {pending} 条待同步" if pending else "")
    if pending:
        return "pending", f"{pending} 条待同步"
    if state == "never":
        return state, "尚未同步"
    conflicts = status.get("open_conflicts", 0)
    return "synced", "已同步" + (f" · {conflicts} 条冲突待处理" if conflicts else "")


class SyncStatusIndicator(QObject):
    """Keeps one QLabel (the main window's ``syncStatus``) up to date."""

    def __init__(self, ctx, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.labels: list[QLabel] = []
        self.running = False
        self.state = "never"
        ctx.watch(self, {"outbox", "settings", "sync_log", "sync_conflicts"}, self.refresh)

    def attach(self, label: QLabel) -> None:
        if label not in self.labels:
            self.labels.append(label)
            label.destroyed.connect(
                lambda *_: self.labels.remove(label) if label in self.labels else None
            )
        self.refresh()

    def set_running(self, running: bool) -> None:
        self.running = running
        self.refresh()

    def refresh(self, _changed: frozenset[str] = frozenset()) -> str:
        status = sync_client.status(self.ctx.store)
        self.state, text = describe(status, self.running)
        tip = status.get("last_error") or (
            f"上次同步：{status['last_sync']}" if status.get("last_sync") else ""
        )
        for label in self.labels:
            label.setText(text)
            label.setToolTip(tip)
            label.setStyleSheet(STYLES.get(self.state, ""))
        return text
