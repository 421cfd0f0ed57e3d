"""Render the main window to a PNG (``make screenshot``; works offscreen)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def main(out: str, page: str = "catalogue", query: str = "铝箔") -> int:
    os.environ.setdefault("ZSAPP_DATA_DIR", tempfile.mkdtemp(prefix="zsapp-shot-"))
    from ui.app import build_window, create_app

    app = create_app([sys.argv[0]])
    window = build_window(ask_profile=False)
    window.resize(1280, 800)
    window.show()
    shown = window.show_page(page)
    if page == "catalogue" and query:
        shown.search_box.setText(query)
        shown.run_search()
    app.processEvents()
    window.grab().save(out)
    print(f"saved {Path(out).resolve()}")
    window.ctx.store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
