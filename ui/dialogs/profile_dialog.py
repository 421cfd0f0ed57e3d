"""个人资料: the officer profile, asked on first run (skippable) and editable in 设置."""

from __future__ import annotations

from dataclasses import asdict, fields

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from zsapp import profile, regions
from zsapp.store import Store

LABELS = {
    "name": "姓名",
    "title": "职务",
    "phone": "手机",
    "email": "邮箱",
    "unit": "单位",
    "prefecture": "州市",
    "park": "园区",
    "unit_en": "单位英文名称",
}


class ProfileDialog(QDialog):
    def __init__(
        self, store: Store, first_run: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("欢迎使用招商助手" if first_run else "个人资料")
        self.inputs: dict[str, QLineEdit | QComboBox] = {}
        current = asdict(profile.get_profile(store))

        form = QFormLayout()
        for f in fields(profile.OfficerProfile):
            if f.name == "prefecture":
                widget = QComboBox()
                widget.addItems(["", *regions.prefecture_names()])
                widget.setCurrentText(current[f.name])
            elif f.name == "park":  # filled by _fill_parks for the chosen 州市
                widget = QComboBox()
                widget.setEditable(True)
            else:
                widget = QLineEdit(current[f.name])
            widget.setObjectName(f"profile_{f.name}")
            self.inputs[f.name] = widget
            form.addRow(LABELS[f.name], widget)
        self.inputs["phone"].setPlaceholderText("如 13800138000 或 0871-63123456")
        self.inputs["unit_en"].setPlaceholderText(
            "中英双语推介册用，如 Kunming Investment Promotion Bureau"
        )
        self.inputs["prefecture"].currentTextChanged.connect(self._fill_parks)
        self._fill_parks(current["prefecture"])
        self.inputs["park"].setCurrentText(current["park"])

        self.error = QLabel()
        self.error.setObjectName("profileError")
        self.error.setStyleSheet("color: #b00020")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(
            "以后再说" if first_run else "取消"
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        if first_run:
            layout.addWidget(
                QLabel(
                    "请填写您的个人资料，它会出现在推介册的联系页和拜访记录中。\n可以跳过，之后在“设置”中修改。"
                )
            )
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _fill_parks(self, prefecture: str) -> None:
        """园区 follows the chosen 州市 (all parks when none is chosen), in pinyin order."""
        from zsapp.projects import parks
        from zsapp.sorting import pinyin_sorted

        code = next((p["code"] for p in regions.prefectures() if p["name"] == prefecture), None)
        names = [p["name"] for p in parks.list_parks(self.store, code)] if code else []
        if not code:
            names = [p["name"] for p in parks.list_parks(self.store)]
        combo = self.inputs["park"]
        typed = combo.currentText()
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(["", *pinyin_sorted(dict.fromkeys(names))])
        combo.setCurrentText(typed if typed in names else "")
        combo.blockSignals(False)

    def values(self) -> profile.OfficerProfile:
        data = {}
        for name, widget in self.inputs.items():
            data[name] = widget.currentText() if isinstance(widget, QComboBox) else widget.text()
        return profile.OfficerProfile(**data)

    def accept(self) -> None:
        try:
            profile.save_profile(self.store, self.values())
        except profile.ProfileError as exc:
            self.error.setText(str(exc))
            return
        super().accept()
