"""Malformed-input generators and a CLI harness shared by the reliability tests.

Every generated input comes with an *oracle*: either ``Expect.error`` (the reader must
raise :class:`~oncosig._errors.OncosigInputError` naming the file; the CLI must exit 2
with one ``error:`` line) or ``Expect.valid`` with the numbers that were written, so a
reader that "succeeds" must return exactly them (shape, per-gene sums).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Small, reproducible hypothesis budgets (CI runs the same examples every time).
FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: The CLI runs each command on fewer examples (each call costs more than a reader call).
FUZZ_CLI = settings(FUZZ, max_examples=7)

GENES = [f"ENSG{i:011d}" for i in range(1, 41)]
BARCODES = [f"TCGA-{c}-{i:04d}-01A" for c in ("OR", "KN") for i in range(1, 21)]

#: Defects that make a counts matrix unusable: the reader must refuse them.
FILE_DEFECTS = (
    "nan",
    "inf",
    "negative",
    "fraction",
    "text",
    "dup_sample",
    "dup_gene",
    "empty_file",
    "header_only",
    "huge",
    "over_int64",
    "space_delimited",
    "binary",
    "truncated_gzip",
    "mixed_ids",
)
#: Inputs that are well-formed: the reader must return exactly what was written.
VALID_VARIANTS = ("plain", "one_sample", "one_gene", "transposed", "semicolon", "gzip", "crlf")


@dataclass
class Case:
    """One generated input file and what a reader must do with it."""

    name: str
    content: bytes
    expect_error: bool
    values: np.ndarray | None = None  # samples x genes written (valid cases)
    samples: list[str] = field(default_factory=list)
    genes: list[str] = field(default_factory=list)
    suffix: str = ".tsv"

    def write(self, folder: Path) -> Path:
        path = folder / f"{self.name}{self.suffix}"
        path.write_bytes(self.content)
        return path


def _table(rows: list[list[str]], sep: str) -> str:
    return "".join(sep.join(r) + "\n" for r in rows)


@st.composite
def matrices(draw: st.DrawFn, defects: tuple[str, ...] = FILE_DEFECTS + VALID_VARIANTS) -> Case:
    """A genes x samples counts matrix with one defect (or a valid variant)."""
    kind = draw(st.sampled_from(defects))
    n_genes = draw(st.integers(2, 12)) if kind != "one_gene" else 1
    n_samples = draw(st.integers(2, 6)) if kind != "one_sample" else 1
    values = draw(
        st.lists(
            st.lists(st.integers(0, 10**6), min_size=n_samples, max_size=n_samples),
            min_size=n_genes,
            max_size=n_genes,
        )
    )
    genes = GENES[:n_genes]
    samples = BARCODES[:n_samples]
    cells = [[str(v) for v in row] for row in values]
    i = draw(st.integers(0, n_genes - 1))
    j = draw(st.integers(0, n_samples - 1))
    sep = "\t"
    head = "feature"
    bad = {
        "nan": "NaN",
        "inf": draw(st.sampled_from(["inf", "-inf", "Infinity"])),
        "negative": str(-draw(st.integers(1, 10**6))),
        "fraction": f"{draw(st.integers(0, 999))}.5",
        "text": draw(st.sampled_from(["abc", "1,5x", "#N/A!", "0x1F", "--"])),
        "huge": draw(st.sampled_from(["1e308", "1.7976931348623157e308", "3e38", "1e39"])),
        "over_int64": draw(st.sampled_from(["1e20", "18446744073709551616", "9.3e18"])),
    }
    if kind in bad:
        cells[i][j] = bad[kind]
        if kind == "text" and n_genes == 1:  # a whole text column would be an annotation
            cells.append(["1"] * n_samples)
            genes = GENES[:2]
    if kind == "dup_sample" and n_samples >= 2:
        samples = [*samples[:-1], samples[0]]
    elif kind == "dup_sample":
        kind = "dup_gene"
    if kind == "dup_gene":
        genes = [*genes[:-1], genes[0]]
    if kind == "mixed_ids":
        genes = (
            genes[: n_genes // 2]
            + ["TP53", "EGFR", "KRAS", "MYC", "BRCA1", "PTEN"][: n_genes - n_genes // 2]
        )
    rows = [[head, *samples]] + [[g, *c] for g, c in zip(genes, cells, strict=False)]
    if kind == "transposed":
        rows = [["sample", *genes]] + [
            [s, *[cells[g][k] for g in range(n_genes)]] for k, s in enumerate(samples)
        ]
    if kind == "semicolon":
        sep = ";"
    if kind == "space_delimited":
        sep = " "
    text = _table(rows, sep)
    if kind == "crlf":
        text = text.replace("\n", "\r\n")
    content = text.encode()
    suffix = ".tsv" if sep == "\t" else ".csv"
    if kind == "empty_file":
        content = b""
    elif kind == "header_only":
        content = _table(rows[:1], sep).encode()
    elif kind == "binary":
        content = draw(st.binary(min_size=16, max_size=400)) + bytes(range(256))
    elif kind in ("gzip", "truncated_gzip"):
        body = text
        if kind == "truncated_gzip":  # long enough that the header parses before the cut
            filler = "".join(
                f"ENSG9{r:010d}\t"
                + "\t".join(str((r * 7919 + k) % 1000) for k in range(n_samples))
                + "\n"
                for r in range(3000)
            )
            body = text + filler
        blob = gzip.compress(body.encode(), mtime=0)
        if kind == "truncated_gzip":
            cut = draw(st.integers(len(blob) // 4, len(blob) - 9))
            blob = blob[:cut]
        content, suffix = blob, ".tsv.gz"
    arr = np.asarray(values, dtype=np.float64).T  # samples x genes
    return Case(
        name=kind,
        content=content,
        expect_error=kind in FILE_DEFECTS,
        values=None if kind in FILE_DEFECTS else arr,
        samples=samples,
        genes=genes,
        suffix=suffix,
    )


# -- GDC STAR / HTSeq -------------------------------------------------------------------
STAR_HEADER = (
    "# gene-model: GENCODE v36\n"
    "gene_id\tgene_name\tgene_type\tunstranded\tstranded_first\tstranded_second\t"
    "tpm_unstranded\tfpkm_unstranded\tfpkm_uq_unstranded\n"
)
STAR_QC = "".join(
    f"{n}\t\t\t{k}\t{k}\t{k}\t\t\t\n"
    for k, n in enumerate(("N_unmapped", "N_multimapping", "N_noFeature", "N_ambiguous"), 1)
)
GDC_DEFECTS = (
    "nan",
    "negative",
    "fraction",
    "text",
    "dup_gene",
    "huge",
    "header_only",
    "short_row",
    "binary",
)


@st.composite
def gdc_files(draw: st.DrawFn) -> tuple[str, Case]:
    """A STAR or HTSeq gene-count file with one defect or none."""
    fmt = draw(st.sampled_from(["star", "htseq"]))
    kind = draw(st.sampled_from((*GDC_DEFECTS, "valid", "valid")))
    n = draw(st.integers(2, 15))
    vals = [str(v) for v in draw(st.lists(st.integers(0, 10**5), min_size=n, max_size=n))]
    genes = [f"{g}.{draw(st.integers(1, 20))}" for g in GENES[:n]]
    i = draw(st.integers(0, n - 1))
    bad = {"nan": "", "negative": "-3", "fraction": "2.5", "text": "many", "huge": "1e300"}
    if kind in bad:
        vals[i] = bad[kind]
    if kind == "dup_gene":
        genes[-1] = genes[0]
    if fmt == "star":
        if kind == "short_row":
            body = "".join(
                f"{g}\tSYM{k}\tprotein_coding\t{v}\t0\t0\t0\t0\t0\n"
                for k, (g, v) in enumerate(zip(genes, vals, strict=True))
            )
            body += f"{GENES[-1]}.1\tSYMX\n"
        else:
            body = "".join(
                f"{g}\tSYM{k}\tprotein_coding\t{v}\t0\t0\t0.5\t0.1\t0.1\n"
                for k, (g, v) in enumerate(zip(genes, vals, strict=True))
            )
        text = STAR_HEADER + STAR_QC + body
        if kind == "header_only":
            text = STAR_HEADER
        suffix = ".rna_seq.augmented_star_gene_counts.tsv"
    else:
        genes = [g.split(".")[0] for g in genes]
        if kind == "dup_gene":
            genes[-1] = genes[0]
        body = "".join(f"{g}\t{v}\n" for g, v in zip(genes, vals, strict=True))
        if kind == "short_row":
            body += f"{GENES[-1]}\n"
        text = (
            body
            + "__no_feature\t10\n__ambiguous\t2\n__too_low_aQual\t0\n__not_aligned\t0\n__alignment_not_unique\t5\n"
        )
        if kind == "header_only":
            text = "__no_feature\t10\n__ambiguous\t2\n"
        suffix = ".htseq.counts"
    content = text.encode()
    if kind == "binary":
        content = draw(st.binary(min_size=8, max_size=200)) + b"\x00\xff\xfe"
    arr = None if kind != "valid" else np.asarray([[float(v) for v in vals]])
    case = Case(f"sample_{kind}", content, kind != "valid", arr, ["x"], genes, suffix)
    return fmt, case


# -- CLI harness --------------------------------------------------------------------------
@dataclass
class CliResult:
    """Outcome of one in-process ``oncosig.cli.main`` call."""

    code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None

    @property
    def error_lines(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.startswith("error: ")]

    @property
    def usage_error(self) -> bool:
        return (
            self.code == 2
            and not self.error_lines
            and ("Usage:" in self.stderr or "Error" in self.stderr)
        )


class _Timeout(BaseException):
    pass


@contextlib.contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    def handler(signum: int, frame: Any) -> None:
        raise _Timeout

    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_cli(argv: list[str], *, timeout: int = 120) -> CliResult:
    """Run ``oncosig argv`` in this process, capturing stdout/stderr and the exit code.

    An exception escaping :func:`oncosig.cli.main` (what a user sees as a traceback) is
    returned in ``exception`` with code -1; a run over ``timeout`` seconds gets code -2.
    """
    from oncosig.cli import main

    out, err = io.StringIO(), io.StringIO()
    code, exc = 0, None
    env_debug = os.environ.pop("ONCOSIG_DEBUG", None)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _alarm(timeout):
            try:
                main(argv)
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except _Timeout:
        code = -2
    except Exception as e:
        code, exc = -1, e
    finally:
        if env_debug is not None:
            os.environ["ONCOSIG_DEBUG"] = env_debug
    return CliResult(code, out.getvalue(), err.getvalue(), exc)


@dataclass
class Command:
    """A leaf CLI command and its parameters, discovered from the typer app."""

    path: tuple[str, ...]
    params: list[Any]

    @property
    def id(self) -> str:
        return " ".join(self.path)

    def option(self, name: str) -> Any | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def output_params(self) -> list[Any]:
        return [p for p in self.params if is_output(p)]

    @property
    def input_params(self) -> list[Any]:
        return [p for p in self.params if is_path(p) and not is_output(p) and not is_model(p)]

    @property
    def model_param(self) -> Any | None:
        return next((p for p in self.params if is_model(p)), None)


def _annotation(p: Any) -> Any:
    td = getattr(p, "type_descriptor", None)
    return getattr(td, "annotation", None) if td is not None else getattr(p, "type", None)


def _mentions_type(ann: Any, kind: type) -> bool:
    import typing

    if ann is kind or (isinstance(ann, type) and issubclass(ann, kind)):
        return True
    return any(_mentions_type(a, kind) for a in typing.get_args(ann))


def is_path(p: Any) -> bool:
    """Whether a CLI parameter takes a filesystem path."""
    return (
        _mentions_type(_annotation(p), Path)
        or "path" in type(getattr(p, "type", None)).__name__.lower()
    )


def is_model(p: Any) -> bool:
    """The ``--model`` checkpoint option of a command."""
    return p.name in ("model", "model_path", "checkpoint") or "--model" in getattr(p, "opts", [])


def is_argument(p: Any) -> bool:
    return "Argument" in type(p).__name__


OUTPUT_NAMES = ("out", "output", "out_dir", "outdir", "report", "save")


def is_output(p: Any) -> bool:
    return is_path(p) and (p.name in OUTPUT_NAMES or p.name.startswith("out"))


def discover_commands() -> list[Command]:
    """Every leaf command of ``oncosig.cli.app`` (groups are walked recursively)."""
    import typer.main

    from oncosig.cli import app

    root = typer.main.get_command(app)
    found: list[Command] = []

    def walk(cmd: Any, path: tuple[str, ...]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in sorted(subs.items()):
                walk(sub, (*path, name))
        else:
            found.append(Command(path, list(cmd.params)))

    walk(root, ())
    return found


#: Values for required non-path options, by parameter name (else by type).
KNOWN_VALUES: dict[str, str] = {
    "label_column": "project",
    "label_key": "project",
    "condition": "sample_type",
    "cohort": "TCGA-KICH",
    "cancer_type": "TCGA-KICH",
    "group": "sample_type",
}
#: Extra arguments some commands need beside their inputs (argument checks that come first).
EXTRA_ARGS: dict[str, list[str]] = {
    "de": ["--normal-first", "4"],
    "label": ["--cancer-type", "TCGA-KICH", "--normal-first", "4"],
}
#: Options that keep a run short where a command has them.
CHEAP: dict[str, list[str]] = {
    "epochs": ["--epochs", "1"],
    "max_epochs": ["--max-epochs", "1"],
    "freeze_epochs": ["--freeze-epochs", "0"],
    "progress": ["--no-progress"],
    "n_permutations": ["--n-permutations", "10"],
    "permutations": ["--permutations", "10"],
}


def _flag(p: Any) -> str:
    long = [o for o in p.opts if o.startswith("--")]
    return (long or p.opts)[0]


def build_argv(
    cmd: Command,
    *,
    inputs: Callable[[Any], str],
    outputs: Callable[[Any], str],
    model: str | None = None,
) -> list[str]:
    """Arguments for ``cmd``: every input path from ``inputs``, outputs from ``outputs``."""
    import enum
    import typing

    argv = [*cmd.path, *EXTRA_ARGS.get(cmd.id, [])]
    for p in cmd.params:
        if p.name in ("help",):
            continue
        if is_model(p):
            if model is not None:
                argv += [_flag(p), model]
            elif p.required:
                argv += [_flag(p), inputs(p)]
            continue
        if p.name in CHEAP and not p.required:
            argv += CHEAP[p.name]
            continue
        if is_argument(p):
            if is_path(p):
                argv.append(outputs(p) if is_output(p) else inputs(p))
            else:
                argv.append(KNOWN_VALUES.get(p.name, "x"))
            continue
        if is_output(p) and (p.required or p.name in OUTPUT_NAMES):
            argv += [_flag(p), outputs(p)]
            continue
        if not p.required:
            continue
        ann = _annotation(p)
        choices = [a for a in typing.get_args(ann) if isinstance(a, str)]
        if is_path(p):
            argv += [_flag(p), inputs(p)]
        elif p.name in KNOWN_VALUES:
            argv += [_flag(p), KNOWN_VALUES[p.name]]
        elif isinstance(ann, type) and issubclass(ann, enum.Enum):
            argv += [_flag(p), str(next(iter(ann)).value)]
        elif choices:
            argv += [_flag(p), choices[0]]
        elif _mentions_type(ann, int):
            argv += [_flag(p), "1"]
        elif _mentions_type(ann, float):
            argv += [_flag(p), "0.5"]
        else:
            argv += [_flag(p), "x"]
    return argv


# -- counting what was tried (read by benchmarks/reliability.py) ---------------------------
TALLY: dict[str, int] = {}


def tally(key: str, n: int = 1) -> None:
    """Count one input tried (``inputs:*``), one kill survived (``kills``), etc."""
    TALLY[key] = TALLY.get(key, 0) + n
