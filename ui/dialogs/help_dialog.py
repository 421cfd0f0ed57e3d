"""使用说明 (F1): a built-in Chinese guide to every section, shortcuts and safety nets."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

# (section key, title, text) — one entry per section of the main window, in order.
SECTIONS: list[tuple[str, str, str]] = [
    (
        "home",
        "首页",
        "一眼看到今天要办的事：到期和逾期的跟进事项、本周与本季度的拜访次数、项目进展和到位资金。"
        "点击跟进事项前的方框即可标记完成。",
    ),
    (
        "catalogue",
        "目录",
        "离线查阅《云南省招商引资指导目录》。在搜索框输入汉字、拼音或首字母（如“kf”找到咖啡），"
        "按 ↓ 进入结果，回车查看条目详情、产品与业态和准入规则。",
    ),
    (
        "companies",
        "客商",
        "管理企业和联系人：新建、修改、合并重复的企业。双击或按回车打开企业资料，可添加附件、导入导出。"
        "合并前会先列出合并后的结果；合并后搜索被合并企业的名称，仍能找到保留的企业；合并可以撤销。",
    ),
    (
        "visits",
        "拜访",
        "记录每一次拜访（Ctrl+N）：企业、对方人员、纪要、意向程度和跟进事项。"
        "选中一条记录后按回车或 F2、双击、点“修改”或右键菜单都可以修改。"
        "表单未保存就关闭时会询问：保存、存为草稿或放弃；草稿下次打开时内容仍在。",
    ),
    (
        "projects",
        "项目",
        "招商项目的准入预审、阶段和到位资金。在项目资料里可以补录以前的阶段（写明日期和原因），"
        "修改或删除登记错的到位资金；签约之前登记的资金会提醒核实。",
    ),
    (
        "brochures",
        "推介册",
        "选择项目（或一家企业自动挑选项目），生成带二维码的 PDF 推介册。"
        "中英双语推介册生成前会列出还缺英文的内容。生成记录里能看到每一份推介册的语言和文件。",
    ),
    (
        "trips",
        "出差",
        "出差前建一次出差（目的地城市、日期、同行人员、事由）并排好会面：生成出差简报 PDF 和"
        "手机可导入的日程（.ics），出发前检查未同步的数据、还没生成的推介册和缺少的联系方式。"
        "会面结束后按回车即可把会面记成拜访；回来后由拜访自动汇总出差报告，可修改后导出 PDF 或 Excel。"
        "线索页按承诺时限（1 天答复、3 天评估、1 周反馈、2 周报告）提醒到期和逾期。",
    ),
    (
        "sync",
        "同步",
        "联网时与省招商办服务器交换数据：本机的新增、修改、删除和恢复都会同步到同单位的其他设备。"
        "遇到两台设备改了同一处，会在“冲突”里列出，由您选择保留哪一个。",
    ),
    (
        "settings",
        "设置",
        "个人资料（推介册联系页使用）、数据安全（自动锁定、导出记录）、备份与恢复、回收站、使用说明和“关于”。"
        "程序每天自动在本机备份一次，保留 14 天；也可以随时备份到 U 盘。",
    ),
]

SHORTCUTS = [
    ("Ctrl+1 … Ctrl+9", "切换到首页、目录、客商、拜访、项目、推介册、出差、同步、设置"),
    ("Ctrl+F", "跳到当前页面的搜索框"),
    ("Esc", "清空搜索框；在表单里按 Esc 会询问是否保存"),
    ("↓", "从搜索框进入结果列表"),
    ("Ctrl+N", "记录新的拜访"),
    ("回车 / F2", "修改选中的记录"),
    ("Ctrl+Enter", "保存表单"),
    ("Ctrl+Z", "撤销上一步操作（新建、修改、删除、合并、导入）"),
    ("F5", "刷新当前页面"),
    ("F1", "打开本使用说明"),
]


def help_html() -> str:
    parts = ["<h2>招商助手 使用说明</h2>"]
    for key, title, text in SECTIONS:
        parts.append(f"<h3 id='{key}'><a name='{key}'></a>{title}</h3><p>{text}</p>")
    parts.append(
        "<h3>不怕出错</h3><p>删除的记录先进入<b>回收站</b>（设置 › 回收站），一键即可恢复；"
        "每次操作后屏幕下方会出现“撤销”，也可以按 Ctrl+Z。数据每天自动备份。</p>"
    )
    rows = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in SHORTCUTS)
    parts.append(f"<h3>快捷键</h3><table cellpadding=4>{rows}</table>")
    return "".join(parts)


class HelpDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, section: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("helpDialog")
        self.setWindowTitle("使用说明")
        self.resize(640, 560)
        self.browser = QTextBrowser()
        self.browser.setObjectName("helpText")
        self.browser.setHtml(help_html())
        if section:
            self.browser.scrollToAnchor(section)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
