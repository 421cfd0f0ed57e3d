"""Without QtPdf (neither PySide6_Pdf nor PySide6-Addons installed) the brochure preview shows
page images rendered with pypdfium2, says so on screen, and printing still works."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from PySide6.QtGui import QColor
from PySide6.QtPrintSupport import QPrinter
from test_brochure_render import decode_qr_codes, needs_poppler
from test_ui_brochures import NAMES, brochure_page, check_project, generate_and_wait, seeded

from ui import pdf_preview
from ui.pages import brochures_page

__all__ = ["seeded"]  # fixture re-used from the brochure UI tests


def test_backend_choice_is_explicit():
    assert pdf_preview.choose_backend({}, installed=True) == "qtpdf"
    assert pdf_preview.choose_backend({}, installed=False) == "images"
    assert pdf_preview.choose_backend({"ZSAPP_PDF_BACKEND": "images"}, installed=True) == "images"
    with pytest.raises(RuntimeError, match="未安装 QtPdf"):
        pdf_preview.choose_backend({"ZSAPP_PDF_BACKEND": "qtpdf"}, installed=False)
    with pytest.raises(ValueError, match="qtpdf 或 images"):
        pdf_preview.choose_backend({"ZSAPP_PDF_BACKEND": "poppler"}, installed=True)


def test_installed_qtpdf_is_what_the_page_uses():
    """On this machine one of the Qt PDF wheels is installed, so the page gets Qt's classes."""
    assert pdf_preview.qtpdf_installed(), (
        'dev setup: pip install -e ".[dev,pdf-qt612]" (or pdf-addons)'
    )
    from PySide6.QtPdf import QPdfDocument

    assert brochures_page.QPdfDocument is QPdfDocument
    assert pdf_preview.BACKEND_NOTE == ""


def test_env_forces_image_backend_in_a_fresh_process(data_dir):
    code = (
        "from PySide6.QtWidgets import QApplication; app = QApplication([]); "
        "from ui.pages import brochures_page as b; from ui import pdf_preview as p; "
        "print(p.BACKEND, b.QPdfView.__name__, bool(p.BACKEND_NOTE))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "ZSAPP_PDF_BACKEND": "images"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.split() == ["images", "ImagePdfView", "True"]
    assert "PDF preview shows page images" in out.stderr  # logged, not silent


@pytest.fixture
def images_backend(monkeypatch):
    monkeypatch.setattr(brochures_page, "QPdfDocument", pdf_preview.ImagePdfDocument)
    monkeypatch.setattr(brochures_page, "QPdfView", pdf_preview.ImagePdfView)


@needs_poppler
def test_preview_and_print_without_qtpdf(images_backend, qtbot, main_window, seeded, tmp_path):
    store, ids = seeded
    page = brochure_page(main_window)
    assert isinstance(page.preview, pdf_preview.ImagePdfView)
    check_project(qtbot, page, NAMES[1])
    generate_and_wait(qtbot, page, page.page_button)  # 单项目推介页
    n = page.document.pageCount()
    assert n >= 1 and f"共 {n} 页" in page.preview_label.text()
    # the user sees the note and one image per page, with ink on it
    assert page.preview.note.isVisible() and "页面图片" in page.preview.note.text()
    assert len(page.preview.page_labels) == n
    image = page.preview.page_labels[0].pixmap().toImage()
    assert image.width() > 100
    dark = sum(
        QColor(image.pixel(x, y)).lightness() < 128
        for x in range(0, image.width(), 4)
        for y in range(0, image.height(), 4)
    )
    assert dark > 50
    assert NAMES[1] in page.document.getAllText(0).text().replace("\r", "").replace("\n", "")
    # printing renders the same pages at 300 dpi: A4, and the QR code still scans
    printer = page.make_printer()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    assert page.print_to(printer) == n
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert re.search(rf"^Pages:\s+{n}$", info, re.M)
    code = store.get("projects", ids[1])["code"]
    assert any(t.startswith(f"项目编号：{code}") for t in decode_qr_codes(out, tmp_path))


def test_image_document_reports_broken_files(qapp, tmp_path):
    doc = pdf_preview.ImagePdfDocument()
    assert doc.load(tmp_path / "missing.pdf") == doc.Error.FileNotFound
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    assert doc.load(bad) == doc.Error.InvalidFileFormat
    assert doc.pageCount() == 0 and doc.render(0, doc.pagePointSize(0).toSize()).isNull()


def test_image_view_renders_pages_as_they_scroll_into_view(qtbot, tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "long.pdf"
    c = canvas.Canvas(str(pdf), pagesize=A4)
    for i in range(30):
        c.setFont("Helvetica-Bold", 96)
        c.drawString(100, 400, f"P{i + 1}")
        c.showPage()
    c.save()
    view = pdf_preview.ImagePdfView()
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    doc = pdf_preview.ImagePdfDocument(view)
    view.setDocument(doc)
    assert doc.load(pdf) == doc.Error.None_
    rendered = [lb for lb in view.page_labels if lb.property("rendered")]
    assert len(view.page_labels) == 30 and 1 <= len(rendered) <= 4  # opens without 30 renders
    last = view.page_labels[-1]
    assert last.pixmap().isNull()
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 25 * last.height())  # the layout has placed 30 pages
    bar.setValue(bar.maximum())
    assert last.property("rendered") and not last.pixmap().isNull()
    image = last.pixmap().toImage()
    assert any(
        QColor(image.pixel(x, y)).lightness() < 100
        for x in range(0, image.width(), 3)
        for y in range(0, image.height(), 3)
    )
    assert doc.getAllText(29).text().strip() == "P30"
