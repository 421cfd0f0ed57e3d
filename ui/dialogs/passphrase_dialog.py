"""The passphrase asked at start when the data keys are passphrase-protected (no OS key
store): set one on first run (twice), or give it to open the data."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from zsapp.security import keys


class PassphraseDialog(QDialog):
    def __init__(self, creating: bool, error: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.creating = creating
        self.setWindowTitle("设置本机数据口令" if creating else "打开招商助手")
        intro = QLabel(
            "本机的客商与项目数据将加密保存。请设置口令（至少 8 个字符）；"
            "忘记口令后数据无法恢复，请牢记。"
            if creating
            else "本机数据已加密，请输入口令。"
        )
        intro.setWordWrap(True)
        self.first = QLineEdit()
        self.first.setObjectName("passphrase")
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.second = QLineEdit()
        self.second.setObjectName("passphraseAgain")
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel(error)
        self.error.setObjectName("passphraseError")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("口令", self.first)
        if creating:
            form.addRow("再输入一次", self.second)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _accept(self) -> None:
        text = self.first.text()
        if self.creating:
            if len(text) < keys.MIN_PASSPHRASE_LEN:
                self.error.setText(f"口令太短：至少 {keys.MIN_PASSPHRASE_LEN} 个字符")
                return
            if text != self.second.text():
                self.error.setText("两次输入的口令不一致")
                return
        elif not text:
            self.error.setText("请输入口令")
            return
        self.accept()

    def passphrase(self) -> str:
        return self.first.text()


def ask_passphrase(creating: bool, error: str = "") -> str:
    """Modal prompt; an empty string when cancelled."""
    dialog = PassphraseDialog(creating, error)
    return dialog.passphrase() if dialog.exec() else ""
