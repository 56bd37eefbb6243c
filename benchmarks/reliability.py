"""Run the reliability suite and write the "Reliability" section of BENCHMARKS.md.

Usage::

    python benchmarks/reliability.py [--quick]

Runs ``pytest tests/reliability`` with a junit report, reads the tallies the suite
writes (inputs tried per area, kills survived), counts passed / failed / xfailed tests
and writes ``benchmarks/results/reliability.md``.  ``--quick`` skips the slow
(resume / determinism) tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "reliability.md"

#: Bugs the reliability suite found and that were fixed (one line each).
FIXED = [
    (
        "io/_matrix.py",
        "binary junk in a matrix raised csv.Error (not a ValueError): traceback from the CLI",
    ),
    (
        "io/_matrix.py, _gdc.py, _degnext.py",
        "a long truncated .gz raised EOFError from pandas: traceback from the CLI",
    ),
    (
        "io/_validate.py",
        "1e308 / 1e39 counts became inf in float32 X without any error (silently wrong)",
    ),
    (
        "io/_validate.py",
        "counts above int64 (1e20) overflowed layers['counts'] silently (garbage counts)",
    ),
    (
        "io/_read.py, _matrix.py",
        "a samples x genes file whose first header cell is 'sample' was read as Xena genes x samples (transposed silently)",
    ),
    (
        "io/_degnext.py",
        "*_data.csv with a text value raised a bare ValueError without the file name",
    ),
    (
        "io/_degnext.py",
        "*_data.csv with a blank or out-of-range label (9, NaN) was accepted (NaN cast to int8)",
    ),
    (
        "io/_h5ad.py",
        "an h5ad whose layers['counts'] held negative / fractional values was accepted as counts",
    ),
    ("io/_h5ad.py", "inf in X of an h5ad that already had uns['value_kind'] was never checked"),
    ("io/_text.py", "corrupted gzip (zlib.error) escaped head_lines"),
    (
        "io/_matrix.py",
        "'1_000'-style cells gave pandas' obscure dtype message; now 'non-numeric expression values'",
    ),
    (
        "_checkpoint.py",
        "safetensors has no checksum: a flipped byte in the weights loaded silently; a SHA-256 of metadata + tensors is now stored and verified",
    ),
    (
        "_checkpoint.py",
        "a non-integer format_version in the metadata raised TypeError instead of CheckpointError",
    ),
    (
        "cli/_label.py",
        "`oncosig label` checked its output folder only after all the work; now refuses an existing file / non-empty folder up front",
    ),
    (
        "genexnet/_lightning.py, genexnet/_estimator.py, degnext/_training.py, degnext/_estimator.py",
        "no resumable training (checkpointing off, best weights only in memory); now an atomic "
        "epoch-end Lightning checkpoint (weights, optimizer, LR schedule, early stopping, best "
        "weights, RNG states, run fingerprint) and fit(..., checkpoint_dir=, resume=True) / "
        "CLI --resume, loaded with weights_only=True (oncosig/_resume.py)",
    ),
    (
        "genexnet/_lightning.py",
        "ReduceLROnPlateau was stepped by Lightning after the epoch-end checkpoint, so a resumed "
        "run missed one LR step (toy: final val_loss 2.2492 uninterrupted vs 2.2780 resumed); the "
        "module now steps it at the end of validation, before any checkpoint (the strict xfail "
        "in test_resume_determinism now passes)",
    ),
    (
        "degnext/_training.py",
        "DEGnext's per-epoch shuffle was seeded by a counter of iterations, not by the epoch, "
        "so a resumed run saw other batches; the best-epoch tracker read val_acc before the "
        "module had logged it (the weights of epoch k were kept under the accuracy of epoch "
        "k-1, wrong best epoch with patience > 0)",
    ),
]

#: Defects found in files owned by other helpers (reported, not fixed here).
REPORTED = [
    (
        "cli/_demo.py",
        "`oncosig demo` has no --overwrite and silently replaces the outputs of an earlier run "
        "(xfail strict in test_atomic_kill)",
    ),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="skip the slow resume/determinism tests")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        stats = Path(tmp) / "stats.json"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "tests/reliability",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
        ]
        if args.quick:
            cmd += ["-m", "not slow"]
        env = {**os.environ, "ONCOSIG_RELIABILITY_STATS": str(stats)}
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        tally = json.loads(stats.read_text()) if stats.exists() else {}
        suite = ET.parse(junit).getroot()
        suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
        assert suite is not None
        n_tests = int(suite.get("tests", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped_el = [tc for tc in suite.iter("testcase") if tc.find("skipped") is not None]
        xfailed = sum(
            1
            for tc in skipped_el
            if "xfail"
            in (tc.find("skipped").get("type", "") + tc.find("skipped").get("message", ""))
        )  # type: ignore[union-attr]
        skipped = len(skipped_el) - xfailed
        resume_cases = [
            tc
            for tc in suite.iter("testcase")
            if "resume" in tc.get("classname", "") and tc.find("skipped") is None
        ]
        resume_tests = len(resume_cases)
        resume_failed = sum(
            1
            for tc in resume_cases
            if tc.find("failure") is not None or tc.find("error") is not None
        )
        resume_kills = sum(
            1
            for tc in resume_cases
            if "sigkill" in tc.get("name", "").lower() or "train_resume" in tc.get("name", "")
        )
        resume_kills -= sum(
            1
            for tc in resume_cases
            if ("sigkill" in tc.get("name", "").lower() or "train_resume" in tc.get("name", ""))
            and (tc.find("failure") is not None or tc.find("error") is not None)
        )
    inputs = {k.split(":", 1)[1]: v for k, v in tally.items() if k.startswith("inputs:")}
    lines = [
        "## Reliability",
        "",
        f"`python benchmarks/reliability.py{' --quick' if args.quick else ''}` (pytest on `tests/reliability`, "
        f"hypothesis derandomized; {seconds:.0f} s on this machine).",
        "",
        "| what | count |",
        "|---|---|",
        *[f"| malformed inputs tried: {k} | {v} |" for k, v in sorted(inputs.items())],
        f"| malformed inputs tried: total | {sum(inputs.values())} |",
        f"| SIGKILLs survived (atomic writes, checkpoint saves, training resume) | {tally.get('kills', 0)} |",
        f"| of which mid-epoch training kills resumed to a bit-identical model (Lightning module, GeneXNet API and CLI, DEGnext level 1 and 2) | {resume_kills} |",
        f"| determinism: same-seed training runs compared (GeneXNet, DEGnext) | {tally.get('determinism_runs', 0)} |",
        f"| resume / kill / determinism tests: run / failed | {resume_tests} / {resume_failed} |",
        f"| CLI errors naming the bad file / not naming it | {tally.get('named_file', 0)} / {tally.get('unnamed_file', 0)} |",
        f"| tests: run / failed / expected failures (known, reported) / skipped | {n_tests} / {failed} / {xfailed} / {skipped} |",
        f"| bugs found and fixed | {len(FIXED)} |",
        "",
        "Commands whose `error:` line for a malformed input did not name the file (count): "
        + (
            ", ".join(
                f"`{k.split(':', 1)[1]}` {v}"
                for k, v in sorted(tally.items())
                if k.startswith("unnamed_by:")
            )
            or "none"
        )
        + " (usually an argument or model check that comes before the data is read).",
        "",
        "Fixed:",
        "",
        *[f"- `{f}`: {d}" for f, d in FIXED],
        "",
        "Found, reported to the owners (tests marked `xfail(strict=True)` where they fail):",
        "",
        *[f"- `{f}`: {d}" for f, d in REPORTED],
        "",
        "GPU: CPU runs are bit-identical for one seed (tested); on GPU, cuDNN/cuBLAS kernels without a "
        "deterministic version only warn (`torch.use_deterministic_algorithms(True, warn_only=True)`) and "
        "mixed precision is used, so GPU predictions can differ in the last digits between runs.",
        "",
    ]
    text = "\n".join(lines)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT / "src"))
    from oncosig._atomic import write_text

    write_text(OUT, text)
    print(text)
    if proc.returncode != 0:
        print(proc.stdout[-4000:], file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
