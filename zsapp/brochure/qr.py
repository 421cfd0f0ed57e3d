"""QR payloads (officer vCard, project text/URL) and QR matrices/images."""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING

from zsapp.names import split_chinese_name

from .model import OfficerContact, ProjectSheet

if TYPE_CHECKING:
    import qrcode

__all__ = ["split_chinese_name"]  # re-exported for callers of the old place

QUIET_ZONE = 4  # modules
MIN_MODULE_MM = 0.4
VCARD_MIN_MM = 30.0
PROJECT_MIN_MM = 25.0


def _esc(value: str) -> str:
    """Escape a vCard 3.0 text value (RFC 2426 §4): backslash, comma, semicolon, newline."""
    return (
        value.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def officer_vcard(officer: OfficerContact) -> str:
    """vCard 3.0 (UTF-8, CRLF line endings) for an officer."""
    family, given = split_chinese_name(officer.name)
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"N:{_esc(family)};{_esc(given)};;;",
        f"FN:{_esc(officer.name.strip())}",
    ]
    org = [p for p in (officer.org.strip(), officer.unit.strip()) if p]
    if org:
        lines.append("ORG:" + ";".join(_esc(p) for p in org))
    if officer.title.strip():
        lines.append(f"TITLE:{_esc(officer.title.strip())}")
    if officer.phone.strip():
        lines.append(f"TEL;TYPE=CELL:{_esc(officer.phone.strip())}")
    if officer.email.strip():
        lines.append(f"EMAIL;TYPE=INTERNET:{_esc(officer.email.strip())}")
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"


def project_qr_text(project: ProjectSheet, officer_phone: str, base_url: str | None = None) -> str:
    """Payload of a project's QR code: the office URL when configured, else plain text."""
    if base_url:
        return f"{base_url.rstrip('/')}/{urllib.parse.quote(project.code.strip(), safe='')}"
    lines = [f"项目编号：{project.code}", f"项目名称：{project.name}"]
    if officer_phone.strip():
        lines.append(f"联系电话：{officer_phone.strip()}")
    return "\n".join(lines)


def qr_code(data: str) -> qrcode.QRCode:
    """Fitted QR code (error correction M, UTF-8 bytes, 4-module quiet zone)."""
    import qrcode  # with PIL: only when a code is drawn
    from qrcode.constants import ERROR_CORRECT_M

    q = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1)
    q.add_data(data.encode("utf-8"))
    q.make(fit=True)
    return q


def qr_matrix(data: str) -> list[list[bool]]:
    """Module matrix including the quiet zone (True = dark)."""
    return qr_code(data).get_matrix()


def qr_print_size_mm(
    data_or_modules: str | int, min_mm: float, min_module_mm: float = MIN_MODULE_MM
) -> float:
    """Printed edge length (mm, quiet zone included) so each module is ≥ ``min_module_mm``."""
    n = data_or_modules if isinstance(data_or_modules, int) else len(qr_matrix(data_or_modules))
    return max(min_mm, n * min_module_mm)


def qr_image(
    data: str, box_size: int | None = None, dpi: int = 300, min_mm: float = PROJECT_MIN_MM
):
    """PIL image of the QR code.

    Without ``box_size`` the pixel size per module is chosen so that, printed at
    ``dpi`` and at least ``min_mm`` wide, each module is ≥ 0.4 mm.
    """
    q = qr_code(data)
    n = len(q.get_matrix())
    if box_size is None:
        size_mm = qr_print_size_mm(n, min_mm)
        box_size = max(1, round(size_mm / 25.4 * dpi / n))
    q.box_size = box_size
    return q.make_image(fill_color="black", back_color="white").get_image()
