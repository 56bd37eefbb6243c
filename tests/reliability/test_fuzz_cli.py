"""Property-based tests: malformed inputs fed to every CLI command that exists.

Commands are discovered from the typer app, so new ones are covered automatically.  A
command must end with exit code 2 and one ``error: ...`` line naming the bad file (or
exit 0 where the input is valid); never a traceback, never an uncaught exception.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from reliability_inputs import (
    FILE_DEFECTS,
    FUZZ,
    FUZZ_CLI,
    Case,
    Command,
    build_argv,
    discover_commands,
    matrices,
    run_cli,
    tally,
)

COMMANDS = [c for c in discover_commands() if c.input_params]
#: Commands whose input is not an expression matrix (a gene list, a run folder): a matrix
#: with bad numbers may be a valid input for them, so only "no traceback, exit 0 or 2" holds.
NOT_MATRIX = {"enrich", "report"}
MATRIX_COMMANDS = [c for c in COMMANDS if c.id not in NOT_MATRIX]
OTHER_COMMANDS = [c for c in COMMANDS if c.id in NOT_MATRIX]
SEMANTIC = ("one_sample", "one_gene", "plain", "transposed")


def _check(res, cmd: Command, case: Case, bad_file: Path) -> None:  # type: ignore[no-untyped-def]
    assert res.exception is None, (
        f"{cmd.id}: uncaught {type(res.exception).__name__}: {res.exception}"
    )
    assert "Traceback" not in res.stderr, f"{cmd.id}: traceback on stderr:\n{res.stderr[-2000:]}"
    if res.code == -2:
        pytest.skip(f"{cmd.id}: over the time limit on {case.name} (machine too busy?)")
    if res.usage_error:
        pytest.skip(
            f"{cmd.id}: the harness could not build valid arguments: {res.stderr.strip()[-300:]}"
        )
    assert res.code in (0, 2), f"{cmd.id}: exit code {res.code}; stderr: {res.stderr[-500:]}"
    if res.code == 2:
        assert len(res.error_lines) == 1, (
            f"{cmd.id}: expected one 'error:' line, got:\n{res.stderr}"
        )
        assert len(res.error_lines[0]) < 600, res.error_lines[0]
    if case.expect_error:
        assert res.code == 2, f"{cmd.id} accepted a {case.name} file: {res.stdout[-500:]}"
        named = bad_file.name in res.error_lines[0]
        tally("named_file" if named else "unnamed_file")
        if not named:
            tally(f"unnamed_by:{cmd.id}")


def _run_case(cmd: Command, case: Case) -> None:
    tally("inputs:cli")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        bad = case.write(d)
        argv = build_argv(
            cmd, inputs=lambda p: str(bad), outputs=lambda p: str(d / f"out_{p.name}")
        )
        _check(run_cli(argv, timeout=90), cmd, case, bad)


@pytest.mark.parametrize("cmd", MATRIX_COMMANDS, ids=[c.id for c in MATRIX_COMMANDS])
@FUZZ_CLI
@given(case=matrices(defects=FILE_DEFECTS + SEMANTIC))
def test_cli_bad_matrices(cmd: Command, case: Case) -> None:
    """Matrix-reading commands refuse every malformed matrix with exit 2."""
    _run_case(cmd, case)


@pytest.mark.parametrize("cmd", OTHER_COMMANDS, ids=[c.id for c in OTHER_COMMANDS])
@settings(FUZZ_CLI, max_examples=4)
@given(case=matrices(defects=("binary", "empty_file", "truncated_gzip", "text", "plain")))
def test_cli_other_inputs(cmd: Command, case: Case) -> None:
    """Commands taking gene lists or run folders: no traceback, exit 0 or 2."""
    case.expect_error = case.name in ("binary", "empty_file", "truncated_gzip")
    _run_case(cmd, case)


def test_cli_missing_file(tmp_path: Path) -> None:
    """A path that does not exist, for every command: exit 2 naming the path."""
    missing = tmp_path / "no_such_file.tsv"
    for cmd in COMMANDS:
        tally("inputs:cli")
        argv = build_argv(
            cmd, inputs=lambda p: str(missing), outputs=lambda p: str(tmp_path / f"o_{p.name}")
        )
        res = run_cli(argv)
        assert res.exception is None and "Traceback" not in res.stderr, (cmd.id, res.stderr)
        assert res.code == 2, (cmd.id, res.stderr)
        assert len([ln for ln in res.stderr.splitlines() if ln.startswith("error: ")]) == 1, (
            res.stderr
        )
        tally("named_file" if "no_such_file.tsv" in res.stderr else "unnamed_file")


@FUZZ
@given(
    case=matrices(
        defects=("plain", "one_sample", "one_gene", "transposed", "semicolon", "gzip", "crlf")
    )
)
def test_info_reports_what_was_written(case: Case) -> None:
    """`oncosig info --json` on valid inputs reports exactly the written dimensions."""
    tally("inputs:cli")
    with tempfile.TemporaryDirectory() as tmp:
        path = case.write(Path(tmp))
        res = run_cli(["info", str(path), "--json"])
        assert res.code == 0, res.stderr
        info = json.loads(res.stdout)
        assert case.values is not None
        assert (info["n_samples"], info["n_genes"]) == case.values.shape, info


@pytest.mark.parametrize("flag", [["--help"], [], ["--no-such-option"]])
def test_every_command_help_and_usage(flag: list[str]) -> None:
    """`--help` exits 0; missing arguments and unknown options exit 2 without a traceback."""
    for cmd in discover_commands():
        if cmd.id == "demo" and not flag:
            continue  # runs the whole demo
        tally("inputs:cli")
        res = run_cli([*cmd.path, *flag])
        assert res.exception is None and "Traceback" not in res.stderr, (cmd.id, res.stderr)
        assert res.code == (0 if flag == ["--help"] else 2), (cmd.id, flag, res.code, res.stderr)
