"""The in-app PDF preview backend: chosen once, and said out loud.

* ``qtpdf``  — Qt's own QtPdf/QtPdfWidgets: from the ``PySide6_Pdf`` wheel on PySide6 6.12, from
  ``PySide6-Addons`` on 6.9 (the newest PySide6 for glibc 2.28, 统信 UOS 20 / 银河麒麟 V10).
  ``PySide6.QtPdf`` imports the same way from either.
* ``images`` — neither is installed (or ``ZSAPP_PDF_BACKEND=images`` asks for it): the pages are
  rendered to images with pypdfium2 (a core dependency) and shown in a scroll area with a
  visible note above them; printing renders the same images. Text cannot be selected there.

The choice is made by looking for the module (``importlib.util.find_spec``), not by swallowing an
ImportError, so a broken QtPdf install fails loudly instead of silently switching backends.
``QPdfDocument`` / ``QPdfView`` exported here are Qt's classes or the image classes below, which
implement the part of Qt's API the brochure page uses.
"""

from __future__ import annotations

import enum
import importlib.util
import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, QSize, QSizeF, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

log = logging.getLogger(__name__)

ENV_VAR = "ZSAPP_PDF_BACKEND"
IMAGES_NOTE = (
    "提示：未安装 QtPdf 组件（PySide6_Pdf 或 PySide6-Addons），预览以页面图片显示，不能选择文字；"
    "保存、打印和用系统程序打开不受影响。"
)


def qtpdf_installed() -> bool:
    """Is Qt's PDF module importable in this environment (either wheel)?"""
    return (
        importlib.util.find_spec("PySide6.QtPdf") is not None
        and importlib.util.find_spec("PySide6.QtPdfWidgets") is not None
    )


def choose_backend(env: dict[str, str] | None = None, installed: bool | None = None) -> str:
    """``qtpdf`` or ``images``; ``ZSAPP_PDF_BACKEND=qtpdf|images`` overrides the detection."""
    env = os.environ if env is None else env
    wanted = env.get(ENV_VAR, "").strip().lower()
    if wanted not in ("", "qtpdf", "images"):
        raise ValueError(f"{ENV_VAR} 只能是 qtpdf 或 images，而不是 {wanted!r}")
    available = qtpdf_installed() if installed is None else installed
    if wanted == "qtpdf" and not available:
        raise RuntimeError(f"{ENV_VAR}=qtpdf，但未安装 QtPdf（PySide6_Pdf 或 PySide6-Addons）")
    if wanted:
        return wanted
    return "qtpdf" if available else "images"


# --------------------------------------------------------------------------- image backend


class _Text:
    def __init__(self, text: str) -> None:
        self._text = text

    def text(self) -> str:
        return self._text


class ImagePdfDocument(QObject):
    """The subset of QPdfDocument the app uses, on pypdfium2."""

    class Error(enum.Enum):
        None_ = 0
        Unknown = 1
        FileNotFound = 3
        InvalidFileFormat = 4

    pageCountChanged = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pdf = None

    def load(self, path: str | os.PathLike) -> ImagePdfDocument.Error:
        import pypdfium2 as pdfium

        self.close()
        try:
            data = Path(path).read_bytes()  # in memory: the file stays movable (Windows locks)
        except OSError:
            return self.Error.FileNotFound
        try:
            self._pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            return self.Error.InvalidFileFormat
        self.pageCountChanged.emit(self.pageCount())
        return self.Error.None_

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None
            self.pageCountChanged.emit(0)

    def pageCount(self) -> int:
        return len(self._pdf) if self._pdf is not None else 0

    def pagePointSize(self, page: int) -> QSizeF:
        if not 0 <= page < self.pageCount():
            return QSizeF()
        w, h = self._pdf[page].get_size()
        return QSizeF(w, h)

    def render(self, page: int, size: QSize) -> QImage:
        if not 0 <= page < self.pageCount() or size.isEmpty():
            return QImage()
        p = self._pdf[page]
        w_pt, _ = p.get_size()
        bitmap = p.render(scale=size.width() / w_pt, rev_byteorder=True)  # RGB byte order
        image = QImage(
            bytes(bitmap.buffer),
            bitmap.width,
            bitmap.height,
            bitmap.stride,
            QImage.Format.Format_RGB888,
        ).copy()  # own the pixels (the buffer belongs to pdfium)
        if image.size() != size:
            image = image.scaled(
                size,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        return image

    def getAllText(self, page: int) -> _Text:
        if not 0 <= page < self.pageCount():
            return _Text("")
        textpage = self._pdf[page].get_textpage()
        return _Text(textpage.get_text_range())


class ImagePdfView(QScrollArea):
    """Pages of an :class:`ImagePdfDocument` as images, fit to width, with the note on top."""

    class PageMode(enum.Enum):
        SinglePage = 0
        MultiPage = 1

    class ZoomMode(enum.Enum):
        Custom = 0
        FitToWidth = 1
        FitInView = 2

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document: ImagePdfDocument | None = None
        self.setWidgetResizable(True)
        body = QWidget()
        self._layout = QVBoxLayout(body)
        self._layout.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.note = QLabel(IMAGES_NOTE)
        self.note.setObjectName("pdfBackendNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("background:#fff4d6; color:#6b4e00; padding:4px;")
        self._layout.addWidget(self.note)
        self.page_labels: list[QLabel] = []
        self.setWidget(body)
        self._rerender = QTimer(self)
        self._rerender.setSingleShot(True)
        self._rerender.setInterval(150)
        self._rerender.timeout.connect(self._render_pages)
        self._rendered_width = 0
        self.verticalScrollBar().valueChanged.connect(lambda _v: self.render_visible())

    def setDocument(self, document: ImagePdfDocument) -> None:
        self._document = document
        document.pageCountChanged.connect(lambda _n: self._render_pages())
        self._render_pages()

    def document(self) -> ImagePdfDocument | None:
        return self._document

    def setPageMode(self, mode) -> None:  # always all pages, one under another
        pass

    def setZoomMode(self, mode) -> None:  # always fit to width
        pass

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.page_labels and abs(self._target_width() - self._rendered_width) > 8:
            self._rerender.start()

    def _target_width(self) -> int:
        return max(100, self.viewport().width() - 24)

    def _render_pages(self) -> None:
        """One white placeholder per page at its fitted size; pixels only for visible pages."""
        for label in self.page_labels:
            self._layout.removeWidget(label)
            label.deleteLater()
        self.page_labels = []
        doc = self._document
        if doc is None:
            return
        width = self._target_width()
        self._rendered_width = width
        for i in range(doc.pageCount()):
            pt = doc.pagePointSize(i)
            label = QLabel()
            label.setObjectName(f"pdfPage{i + 1}")
            label.setFixedSize(width, round(width * pt.height() / pt.width()))
            label.setStyleSheet("border:1px solid #ccc; background:white;")
            label.setProperty("rendered", False)
            self._layout.addWidget(label)
            self.page_labels.append(label)
        self.render_visible()

    def render_visible(self) -> int:
        """Render the pages in (or next to) the viewport that have no pixels yet; returns how many.
        Pages further away are rendered when scrolled to, so a long brochure opens at once."""
        doc = self._document
        if doc is None or not self.page_labels:
            return 0
        top = self.verticalScrollBar().value()
        bottom = top + self.viewport().height()
        margin = self.viewport().height()  # one screen ahead, so scrolling shows no blank
        ratio = self.devicePixelRatioF()
        done = 0
        # page offsets from the layout's rules, not from widget geometry (not placed until shown)
        spacing = max(0, self._layout.spacing())
        y = self._layout.contentsMargins().top() + self.note.sizeHint().height() + spacing
        for i, label in enumerate(self.page_labels):
            h = label.height()
            page_top, y = y, y + h + spacing
            if (
                label.property("rendered")
                or page_top + h < top - margin
                or page_top > bottom + margin
            ):
                continue
            size = label.size()
            image = doc.render(i, QSize(round(size.width() * ratio), round(size.height() * ratio)))
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(ratio)
            label.setPixmap(pixmap)
            label.setProperty("rendered", True)
            done += 1
        return done


# --------------------------------------------------------------------------- the choice

BACKEND = choose_backend()
if BACKEND == "qtpdf":
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPdfWidgets import QPdfView

    BACKEND_NOTE = ""
else:
    QPdfDocument = ImagePdfDocument
    QPdfView = ImagePdfView
    BACKEND_NOTE = IMAGES_NOTE
    log.warning("QtPdf not installed (or %s=images): PDF preview shows page images", ENV_VAR)

__all__ = ["BACKEND", "BACKEND_NOTE", "QPdfDocument", "QPdfView", "choose_backend"]
