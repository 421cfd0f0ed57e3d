"""Read the cells of an import file without trusting what it claims about itself.

* CSV/TXT: BOMs, then strict UTF-8, then charset-normalizer limited to the encodings that
  occur on Chinese desktops (GBK/GB18030, Big5, UTF-16 without BOM, cp1252); GB-family
  results decode as GB18030.
* XLSX/XLSM/XLS/ODS and WPS (.et): python-calamine, which ignores ``<dimension>`` (streaming
  writers put ``A1`` there whatever the size) and returns the cached values of formula
  cells. Zip containers are checked member by member (uncompressed size and compression
  ratio) *before* anything is inflated, so a zip bomb is refused without using memory.

The result is a grid of text cells per sheet; header detection and column mapping happen in
:mod:`zsapp.contacts.import_mapping`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zsapp.contacts.validation import ContactsError

MAX_FILE_BYTES = 64 * 1024 * 1024  # CSV, vCard, XLS
MAX_MEMBER_BYTES = 40 * 1024 * 1024  # one inflated zip member (a sheet's XML)
MAX_TOTAL_BYTES = 100 * 1024 * 1024  # all inflated members together
MAX_RATIO = 200  # inflated / compressed, for members over 1 MB
MAX_CELLS = 500_000  # e.g. 50k rows × 10 columns: read, planned and written under 300 MB
MAX_ROWS = 50_000

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".et", ".ett", ".xlsb")


@dataclass
class Grid:
    """One sheet (or the CSV file): rows of text cells with their 1-based row number."""

    name: str
    rows: list[tuple[int, list[str]]]
    encoding: str = ""
    format: str = "csv"
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (r0, c0, r1, c1)


# -- text --------------------------------------------------------------------------------
_DETECT = ["gb18030", "big5", "utf_16_le", "utf_16_be", "cp1252"]


def decode(data: bytes) -> tuple[str, str]:
    """Text and the detected encoding."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ContactsError("文件以 UTF-16 标记开头，但内容不完整或已损坏") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    import charset_normalizer

    best = charset_normalizer.from_bytes(data[:1_000_000], cp_isolation=_DETECT).best()
    encoding = best.encoding if best is not None else ""
    if encoding in ("gb2312", "gbk", "cp936", "gb18030", "hz") or not encoding:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            if not encoding:
                raise ContactsError(
                    "无法识别文件编码（支持 UTF-8、GBK/GB18030、UTF-16），"
                    "请另存为“CSV UTF-8（逗号分隔）”后重试"
                ) from None
    name = codecs.lookup(encoding).name
    if name.startswith("utf-16"):
        name = "utf-16"
    return data.decode(encoding, errors="replace"), name


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.hour == value.minute == value.second == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).replace("\r\n", "\n").strip()


def read_csv_text(text: str, encoding: str = "") -> Grid:
    sample = text[:16384]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    cells_seen = 0
    try:
        for cells in reader:
            line = start
            start = reader.line_num + 1  # a quoted cell may span several physical lines
            if any(c.strip() for c in cells):
                rows.append((line, [c.strip() for c in cells]))
                cells_seen += len(cells)
            if len(rows) > MAX_ROWS or cells_seen > MAX_CELLS:
                raise ContactsError(
                    f"文件过大：超过 {MAX_ROWS} 行或 {MAX_CELLS} 个单元格的导入上限，"
                    "请分成几个文件导入"
                )
    except csv.Error as exc:  # NUL bytes: not a text file
        raise ContactsError(
            f"无法按 CSV 读取（第 {reader.line_num} 行）：请确认选择的是 CSV 文本文件"
        ) from exc
    return Grid("", rows, encoding, "csv")


# -- spreadsheets ------------------------------------------------------------------------
def check_zip(path: Path) -> None:
    """Refuse a zip whose members would inflate beyond the limits, before reading any."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise ContactsError(
            f"无法读取 Excel 文件：文件已损坏或不是 Excel/ODS 文件（{exc}）"
        ) from exc
    if len(infos) > 10_000:
        raise ContactsError("文件内部结构异常（压缩包成员过多），已拒绝读取")
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        ratio = size / max(info.compress_size, 1)
        if size > 1024 * 1024 and ratio > MAX_RATIO:
            raise ContactsError(
                f"文件中的“{info.filename}”解压后约 {size // (1024 * 1024)} MB"
                f"（压缩比 {ratio:.0f}:1），可能是恶意构造的压缩炸弹，已拒绝读取"
            )
        if size > MAX_MEMBER_BYTES:
            raise ContactsError(
                f"表格过大：文件中的“{info.filename}”解压后约 {size // (1024 * 1024)} MB，"
                f"超过导入上限（{MAX_MEMBER_BYTES // (1024 * 1024)} MB），已拒绝读取；"
                "请分成几个文件导入"
            )
    if total > MAX_TOTAL_BYTES:
        raise ContactsError(
            f"文件解压后共约 {total // (1024 * 1024)} MB，超过导入上限，已拒绝读取；"
            "请分成几个文件或另存为 CSV"
        )


def read_spreadsheet(path: Path, sheets: str = "all") -> list[Grid]:
    """Every non-empty sheet (``sheets="first"``: the first non-empty one)."""
    import python_calamine

    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"PK"):
        check_zip(path)
        fmt = "ods" if path.suffix.lower() == ".ods" else "xlsx"
    elif magic.startswith(b"\xd0\xcf\x11\xe0"):
        fmt = "xls"
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ContactsError("文件过大，超过导入上限（64 MB），请分成几个文件导入")
    else:
        raise ContactsError("无法读取 Excel 文件：文件内容不是 Excel/WPS/ODS 表格")
    try:
        with path.open("rb") as fh:
            workbook = python_calamine.CalamineWorkbook.from_filelike(fh)
            grids = []
            for name in workbook.sheet_names:
                sheet = workbook.get_sheet_by_name(name)
                if sheet.height * max(sheet.width, 1) > MAX_CELLS or sheet.height > MAX_ROWS:
                    raise ContactsError(
                        f"工作表“{name}”有 {sheet.height} 行 × {sheet.width} 列，超过导入上限，"
                        "请分成几个文件导入"
                    )
                # iter_rows starts at row 1 but at the first used column: pad so that
                # column numbers match the merged ranges.
                pad = [""] * (sheet.start[1] if sheet.start else 0)
                rows = []
                for n, values in enumerate(sheet.iter_rows(), 1):
                    cells = pad + [cell_text(v) for v in values]
                    if any(cells):
                        rows.append((n, cells))
                merged = []
                try:
                    for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
                        merged.append((r0 + 1, c0, r1 + 1, c1))
                except Exception:  # not every format reports merged cells
                    merged = []
                if rows:
                    grids.append(Grid(name, rows, fmt, fmt, merged))
                    if sheets == "first":
                        break
    except ContactsError:
        raise
    except Exception as exc:  # CalamineError, XmlError, ZipError, PasswordError …
        name = type(exc).__name__
        if "Password" in name:
            raise ContactsError("文件有密码保护，请先在 Excel/WPS 中取消密码后再导入") from exc
        raise ContactsError(
            f"无法读取 Excel 文件：文件已损坏、被截断或不是 Excel/WPS/ODS 表格（{exc}）"
        ) from exc
    return grids


def read_bytes_limited(path: Path) -> bytes:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ContactsError("文件过大，超过导入上限（64 MB），请分成几个文件导入")
    return path.read_bytes()
