"""Run ``oncosig`` in-process for the GeneXNet CLI tests."""

from __future__ import annotations

import pytest

from oncosig.cli import main


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``oncosig ARGS`` (the entry point always exits)."""
    with pytest.raises(SystemExit) as exc:
        main(args)
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err
