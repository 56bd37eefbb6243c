"""DEGnext paper benchmark: writes benchmarks/results/degnext.md and prints it.

Usage::

    .venv/bin/python benchmarks/degnext_paper.py [--data ../shared/data/degnext]
        [--epochs 50] [--finetune-epochs 31] [--lr 1e-3] [--patience 10] [--cv-folds 5]
        [--compare-archs degnext] [--cohorts READ,CHOL] [--no-general|--no-transfer|--no-timing]

Defaults are the paper's training lengths (level 1 50 epochs, level 2 31 epochs) with
early stopping on a 10 % hold-out of the training genes (best epoch restored), a 5-fold
CV over each cohort's bio genes beside the paper's F1/T3 split, and the published widths
trained beside ``degnext_fast`` on the cohorts that have every split.  Training uses one
thread (``--threads``); the epoch-time figure is measured with 2 and with 1 thread
(``--timing-threads``).

Tables (CSV) and plots (PNG) go to ``benchmarks/results/degnext_artifacts/``.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from oncosig.cli._common import setup_logging
from oncosig.degnext._report import run_paper_benchmark

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data" / "degnext"))
    ap.add_argument("--out", default=str(HERE / "results" / "degnext_artifacts"))
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--finetune-epochs", type=int, default=31)
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--arch", default="degnext_fast")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--timing-threads", default="2,1", help="comma list of thread counts")
    ap.add_argument("--cv-folds", type=int, default=5, help="0 = no CV table")
    ap.add_argument("--compare-archs", default="degnext", help="comma list; empty = no comparison")
    ap.add_argument("--cohorts", default=None)
    ap.add_argument(
        "--row-quantiles",
        type=int,
        default=None,
        help="DEGnext(row_quantiles=N): rows resampled to N quantiles per group",
    )
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--no-general", action="store_true")
    ap.add_argument("--no-transfer", action="store_true")
    ap.add_argument(
        "--md", default=str(HERE / "results" / "degnext.md"), help="Copy of the report."
    )
    args = ap.parse_args()
    setup_logging()
    text = run_paper_benchmark(
        args.data,
        args.out,
        epochs=args.epochs,
        finetune_epochs=args.finetune_epochs,
        patience=args.patience,
        lr=args.lr,
        arch=args.arch,
        num_threads=args.threads,
        cohorts=None if args.cohorts is None else args.cohorts.split(","),
        timing=not args.no_timing,
        general=not args.no_general,
        transfer=not args.no_transfer,
        cv_folds=args.cv_folds,
        compare_archs=[a for a in args.compare_archs.split(",") if a],
        timing_threads=[int(t) for t in args.timing_threads.split(",")],
        row_quantiles=args.row_quantiles,
    )
    shutil.copyfile(Path(args.out) / "degnext.md", args.md)
    print(text)


if __name__ == "__main__":
    main()
