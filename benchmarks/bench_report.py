"""Header lines and atomic output of the benchmark reports (shared by the GeneXNet scripts)."""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path


def command_line(script: str, argv: list[str] | None) -> str:
    """The report's ``Command:`` line for ``script`` run with ``argv`` (default sys.argv)."""
    args = " ".join(argv if argv is not None else sys.argv[1:])
    return f"Command: `python benchmarks/{Path(script).name} {args}`  "


def wall_time_line(t0: float) -> str:
    """The report's wall-time line since ``time.perf_counter()`` read ``t0`` (CV sections)."""
    return (
        f"Wall time: {time.perf_counter() - t0:.0f} s (folds read back from .bench-cache "
        "when --resume)."
    )


def machine_line() -> str:
    """The report's ``Machine:`` line of the 1-process training benchmarks (torch threads)."""
    import torch

    return (
        f"Machine: {platform.machine()}, 2-core CPU shared with other jobs, torch "
        f"{torch.__version__}, {torch.get_num_threads()} torch thread(s); no GPU."
    )


def report_header(title: str, script: str, argv: list[str] | None) -> list[str]:
    """Title, ``Command:`` and ``Machine:`` lines that open a training benchmark's report."""
    return [f"# {title}", "", command_line(script, argv), machine_line(), ""]


def write_report(out: Path, report: list[str]) -> None:
    """Write the markdown report atomically (parent folders created) and print it."""
    from oncosig._atomic import write_text

    text = "\n".join(report) + "\n"
    write_text(out, text)
    print(text)
