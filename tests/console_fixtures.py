"""Field data for the console tests: real enrolled devices pushing real ops through
``Office.push`` (so the read model is filled by the push hook), and the hand-computed
scenario the figure tests check."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from zsapp.clock import Timestamp, wall_clock_ms
from zsapp.office.service import Office

KM, QJ, DL = "530100", "530300", "532900"
_names = itertools.count()
# One clock for all test devices: every op is 1 ms after the previous one (first-claim order).
_BASE_MS = wall_clock_ms() - 100_000_000
_ticks = itertools.count(1)


class FieldDevice:
    """One officer's enrolled device; ``put`` queues a record's fields, ``push`` sends."""

    def __init__(self, office: Office, unit: str, role: str = "officer") -> None:
        name = f"干部{next(_names)}-{uuid.uuid4().hex[:6]}"
        office.add_officer(name, unit, role)
        code = office.create_enrollment(name)["code"]
        self.device_id = uuid.uuid4().hex
        token = office.enroll(code, self.device_id)["token"]
        self.office = office
        self.device = office.authenticate(token)
        self.seq = 0
        self.ops: list[dict[str, Any]] = []

    def hlc(self) -> str:
        return Timestamp(_BASE_MS + next(_ticks), 0, self.device_id).pack()

    def put(self, table: str, row_id: str | None = None, **fields: Any) -> str:
        row_id = row_id or str(uuid.uuid4())
        if "deleted" not in fields:
            fields["deleted"] = 0
        for field, value in fields.items():
            self.seq += 1
            self.ops.append(
                {
                    "seq": self.seq,
                    "device": self.device_id,
                    "t": table,
                    "id": row_id,
                    "f": field,
                    "v": value,
                    "h": self.hlc(),
                }
            )
        return row_id

    def delete(self, table: str, row_id: str) -> None:
        self.put(table, row_id, deleted=1)

    def push(self) -> dict[str, Any]:
        ops, self.ops = self.ops, []
        if not ops:
            return {}
        return self.office.push(
            self.device,
            {
                "batch_id": f"{self.device_id}:{ops[0]['seq']}",
                "from_seq": ops[0]["seq"],
                "to_seq": ops[-1]["seq"],
                "ops": ops,
            },
        )


def project(
    dev: FieldDevice,
    *,
    code: str,
    name: str,
    pref: str,
    wan: int | None,
    category: str = "产业类",
    items: tuple[str, ...] = (),
    stages: tuple[tuple[str, str], ...] = (),
    funds: tuple = (),
    investors: tuple[str, ...] = (),
    major: int = 0,
) -> str:
    pid = dev.put(
        "projects",
        code=code,
        name=name,
        prefecture_code=pref,
        total_investment_wan=wan,
        category=category,
        is_provincial_major=major,
        answers='{"G1": "否"}',
    )
    for item in items:
        dev.put("project_items", project_id=pid, item_id=item)
    for stage, on in stages:
        dev.put("project_stages", project_id=pid, stage=stage, changed_on=on, note="")
    for month, amount, outside, industrial in funds:
        dev.put(
            "project_funds",
            project_id=pid,
            month=month,
            amount_wan=amount,
            outside_province=outside,
            industrial=industrial,
        )
    for company in investors:
        dev.put("project_investors", project_id=pid, company_id=company, role="签约主体")
    return pid


def company(
    dev: FieldDevice,
    name: str,
    uscc: str,
    *,
    f500: int = 0,
    ownership: str = "民营",
    region: str = "长三角",
    province: str = "上海市",
    giant: int = 0,
    dishonest: int = 0,
) -> str:
    return dev.put(
        "companies",
        name=name,
        uscc=uscc,
        is_fortune500=f500,
        ownership=ownership,
        region_tag=region,
        origin_province=province,
        is_specialized_giant=giant,
        is_dishonest=dishonest,
    )


def scenario(office: Office) -> dict[str, str]:
    """The hand-computed fixture (see test_console_figures for the expected figures)."""
    km, qj, dl = (
        FieldDevice(office, "昆明市"),
        FieldDevice(office, "曲靖市"),
        FieldDevice(office, "大理州"),
    )
    ids: dict[str, str] = {}
    ids["C1"] = company(
        km,
        "华能新能源集团",
        "91110000100001000A",
        f500=1,
        ownership="央企",
        region="京津冀",
        province="北京市",
    )
    ids["C2"] = company(
        qj,
        "正大食品集团",
        "91310000200002000B",
        f500=1,
        ownership="外资",
        region="境外",
        province="",
    )
    ids["C3"] = company(
        dl, "苍山材料科技", "91530000300003000C", giant=1, region="", province="云南省"
    )
    ids["C4"] = company(
        dl, "某失信企业", "91530000400004000D", dishonest=1, region="成渝", province="四川省"
    )
    km.push(), qj.push(), dl.push()
    ids["P1"] = project(
        km,
        code="KM-2022-0001",
        name="滇中新能源电池生产基地项目",
        pref=KM,
        wan=150_000,
        items=("I04-01",),
        stages=(("线索", "2022-01-10"), ("签约", "2022-03-15"), ("开工", "2022-09-01")),
        funds=(
            ("2022-03", 10_000, 1, 1),
            ("2022-11", 20_000, 1, 1),
            ("2022-12", 5_000, 0, 1),
            ("2023-02", 3_000, 1, 0),
        ),
        investors=(ids["C1"],),
        major=1,
    )
    ids["P2"] = project(
        km,
        code="KM-2022-0002",
        name="春城商业综合体",
        pref=KM,
        wan=200_000,
        category="房地产",
        stages=(("签约", "2022-05-01"),),
        funds=(("2022-06", 50_000, 1, 1),),
    )
    ids["P6"] = project(
        km,
        code="KM-2022-0006",
        name="咖啡精深加工",
        pref=KM,
        wan=20_000,
        items=("I01-03",),
        stages=(("在谈", "2022-02-01"),),
    )
    km.push()
    ids["P3"] = project(
        qj,
        code="QJ-2023-0001",
        name="高原生猪屠宰加工",
        pref=QJ,
        wan=80_000,
        items=("I01-05",),
        stages=(("签约", "2023-01-20"),),
        funds=(("2023-01", 7_000, 1, 1),),
        investors=(ids["C2"],),
    )
    qj.push()
    # Signed in 大理, transferred to 曲靖 in October 2022 (the project now lives in 曲靖).
    ids["P4"] = project(
        dl,
        code="DL-2022-0001",
        name="稀土新材料产业园",
        pref=QJ,
        wan=120_000,
        items=("I06-02",),
        stages=(("签约", "2022-08-01"),),
        funds=(("2022-09", 1_000, 1, 1), ("2022-12", 5_000, 1, 1)),
        investors=(ids["C3"],),
    )
    ids["T1"] = dl.put(
        "project_transfers",
        project_id=ids["P4"],
        transferred_on="2022-10-05",
        from_prefecture_code=DL,
        to_prefecture_code=QJ,
        reason="不符合本园区主导产业布局",
        decided_by="州招商局",
    )
    ids["O1"] = dl.put(
        "admission_overrides",
        project_id=ids["P4"],
        rule_id="R3",
        reason="集体决策同意",
        decided_by="大理州招商引资项目集体决策会议",
        decided_on="2022-07-20",
    )
    dl.push()
    # A second claim of P1 by 曲靖 (same investor USCC under another company record).
    ids["C1b"] = company(
        qj,
        "华能新能源（曲靖）",
        "91110000100001000A",
        f500=1,
        ownership="央企",
        region="京津冀",
        province="北京市",
    )
    ids["P5"] = project(
        qj,
        code="QJ-2022-0009",
        name="滇中新能源电池生产基地",
        pref=QJ,
        wan=140_000,
        items=("I04-01",),
        stages=(("签约", "2022-11-01"),),
        funds=(("2022-11", 20_000, 1, 1),),
        investors=(ids["C1b"],),
    )
    qj.push()
    ids["_devices"] = (km, qj, dl)  # type: ignore[assignment]
    return ids
