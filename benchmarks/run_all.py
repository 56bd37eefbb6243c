"""Assemble BENCHMARKS.md from the latest outputs of every benchmark.

Each benchmark script in this folder prints its results and writes a markdown section to
``benchmarks/results/<name>.md``.  This script concatenates those sections (in a fixed
order) into ``BENCHMARKS.md`` at the repository root, so the file always shows the
latest measured numbers and nothing typed by hand.

Usage::

    python benchmarks/run_all.py            # assemble only
    python benchmarks/run_all.py --run      # run every benchmark first (slow), then assemble
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ORDER = [
    "de_speed",
    "degnext",
    "degnext_row_quantiles",
    "genexnet",
    "genexnet_seeds",
    "genexnet_ablations",
    "genexnet_ablations_10seeds",
    "genexnet_atypical",
    "genexnet_review",
    "genexnet_tumor_normal",
    "interpret",
    "scale",
    "reliability",
]
SCRIPTS = {
    "de_speed": ["de_speed.py"],
    "degnext": ["degnext_paper.py"],
    "genexnet": ["genexnet_bench.py"],  # all sections (tumour vs normal included)
    # python benchmarks/degnext_paper.py --row-quantiles 32 --no-timing --cv-folds 0
    #   --compare-archs "" --md benchmarks/results/degnext_row_quantiles.md
    "degnext_row_quantiles": [],
    "genexnet_seeds": [],  # written by genexnet_bench.py --sections seeds --out ...
    "genexnet_ablations": ["genexnet_ablations.py"],
    # python benchmarks/genexnet_ablations.py --variants residual_only,embedding_32
    #   --seeds 0,1,2,3,4,5,6,7,8,9 --resume --out benchmarks/results/genexnet_ablations_10seeds.md
    "genexnet_ablations_10seeds": [],
    "genexnet_atypical": ["genexnet_atypical.py"],
    "genexnet_review": ["genexnet_review.py"],
    "genexnet_tumor_normal": [],  # written by genexnet_bench.py --sections tumor_normal --out ...
    "interpret": ["interpret_genecam.py"],
    "scale": ["scale.py"],
    "reliability": ["reliability.py"],
}

HEADER = """# oncosig benchmarks

Every number below was printed by a script in `benchmarks/` and written to
`benchmarks/results/*.md`; `python benchmarks/run_all.py` reassembles this file. Machine
unless stated otherwise: 2 CPU cores, 24 GiB, no GPU.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true", help="run the benchmarks first")
    args = parser.parse_args()
    if args.run:
        for name in ORDER:
            for script in SCRIPTS[name]:
                path = HERE / script
                if path.exists():
                    print(f"== running {script}", flush=True)
                    subprocess.run([sys.executable, str(path)], check=True)
    sections = []
    names = ORDER + sorted(p.stem for p in RESULTS.glob("*.md") if p.stem not in ORDER)
    for name in names:
        f = RESULTS / f"{name}.md"
        if f.exists():
            sections.append(f.read_text(encoding="utf-8").strip())
    out = HERE.parent / "BENCHMARKS.md"
    out.write_text(HEADER + "\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(sections)} sections)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
