"""DEGnext paper benchmark: writes benchmarks/results/degnext.md and prints it.

Usage::

    .venv/bin/python benchmarks/degnext_paper.py [--data ../shared/data/degnext]
        [--epochs 8] [--finetune-epochs 20] [--lr 2e-3] [--cohorts READ,CHOL]

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
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--finetune-epochs", type=int, default=20)
    ap.add_argument("--patience", type=int, default=3)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--arch", default="degnext_fast")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cohorts", default=None)
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
    )
    shutil.copyfile(Path(args.out) / "degnext.md", args.md)
    print(text)


if __name__ == "__main__":
    main()
