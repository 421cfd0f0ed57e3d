# 招商助手 — two commands: `make run` (the app) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Debian/Ubuntu packages. Qt's runtime libraries (a bare machine lacks them) for the app;
# for the tests also the PDF and QR tools brochures are checked with, Xvfb, and the
# PostgreSQL server binaries for the office-server tests.
RUNTIME_PACKAGES := libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 \
	libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 \
	libxcb-randr0 libxcb-render-util0 libxcb-image0
SYSTEM_PACKAGES := $(RUNTIME_PACKAGES) poppler-utils zbar-tools xvfb postgresql chromium

# Qt's PDF module: PySide6_Pdf 6.12 needs glibc >= 2.34; on older glibc (统信 UOS 20, 银河麒麟 V10)
# it comes from PySide6-Addons 6.9 (docs/install.md). Override with `make PDF_EXTRA=pdf-addons`.
PDF_EXTRA ?= $(shell $(PYTHON) -c 'import platform; l, v = platform.libc_ver(); print("pdf-addons" if l == "glibc" and tuple(map(int, v.split("."))) < (2, 34) else "pdf-qt612")' 2>/dev/null || echo pdf-qt612)

.PHONY: lint run test soak bench dist system-deps runtime-deps venv clean screenshot

run: runtime-deps $(STAMP)
	$(PY) main.py

runtime-deps:
	@$(MAKE) --no-print-directory system-deps SYSTEM_PACKAGES="$(RUNTIME_PACKAGES)" || \
		echo "提示：未能自动安装 Qt 运行库，若程序无法启动请安装：$(RUNTIME_PACKAGES)"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "需要 Python 3.11 或更新版本 (found $$($(PYTHON) --version))"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,$(PDF_EXTRA)]"
	touch $(STAMP)

# Installs what is missing when we may (root or passwordless sudo); otherwise says what to install.
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if ! command -v apt-get >/dev/null; then echo "请手动安装系统依赖: $$missing"; exit 1; fi; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO=sudo; \
		else echo "缺少系统软件包，请运行: sudo apt-get install $$missing"; exit 1; fi; \
		echo "Installing system packages: $$missing"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy zsapp

test: system-deps $(STAMP) lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m "not slow"

soak: system-deps $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m slow

bench: $(STAMP)
	@for script in bench/bench_*.py; do echo "== $$script"; \
	  ZSAPP_PASSPHRASE=$${ZSAPP_PASSPHRASE:-zsapp-bench-passphrase} PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring \
	  $(PY) $$script || exit 1; done

dist: $(STAMP)
	$(PY) -m PyInstaller --noconfirm --clean build.spec
	./dist/zsapp/zsapp --selftest

screenshot: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m ui.screenshot docs/screenshot-catalogue.png

clean:
	rm -rf build dist .pytest_cache

# --- packaging (docs/install.md) ------------------------------------------------------------
# make deb: the UOS/Kylin .deb (/opt/apps/$(APPID)/…) from the one-folder build (built if missing).
# make deb-test: install it with dpkg, run the installed --selftest, remove it (needs root).
# make check-glibc: highest GLIBC each ELF file of dist/zsapp needs; fails above GLIBC_MAX.
APPID     := cn.gov.yn.zsapp
GLIBC_MAX ?= 2.28
# gzip here (fast); the release workflow uses xz (a smaller file, ~3 min longer to pack)
DEB_COMPRESS ?= gzip
.PHONY: deb deb-test check-glibc

deb: $(STAMP)
	@test -x dist/zsapp/zsapp || $(MAKE) --no-print-directory dist
	$(PY) packaging/deb/build_deb.py --dist dist/zsapp --out dist --appid $(APPID) --depends "$(RUNTIME_PACKAGES)" --compress $(DEB_COMPRESS)

deb-test: deb
	ZSAPP_DEB_TEST=1 QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q tests/test_packaging_deb.py

check-glibc: $(STAMP)
	$(PY) packaging/check_glibc.py dist/zsapp --max $(GLIBC_MAX)
