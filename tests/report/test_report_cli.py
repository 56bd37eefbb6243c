from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_rundir import make_run_dir

from oncosig.cli import main


def test_report_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = make_run_dir(tmp_path / "run")
    out = tmp_path / "report.html"
    main(["report", str(run), "--out", str(out), "--library", "none", "--title", "My run"])
    text = out.read_text()
    assert "<title>My run</title>" in text and text.count("<img ") >= 5
    assert "report ->" in capsys.readouterr().out
    record = json.loads((tmp_path / "report.html.run.json").read_text())
    assert record["command"] == "report" and record["config"]["run_dir"] == str(run)
    with pytest.raises(SystemExit):
        main(["report", str(run), "--out", str(out)])
    assert "--overwrite" in capsys.readouterr().err
