"""招商助手 entry point: the desktop app, or the CLI when given CLI arguments
(the packaged app answers ``--version`` and ``--selftest`` without opening a window)."""

import sys


def run() -> int:
    if len(sys.argv) > 1:
        from zsapp.cli import main as cli_main

        return cli_main(sys.argv[1:])
    from ui.app import main as ui_main

    return ui_main(sys.argv)


if __name__ == "__main__":
    raise SystemExit(run())
