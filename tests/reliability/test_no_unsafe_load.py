"""Static check: nothing in src/ unpickles a file (torch.load without weights_only=True,
pickle/joblib/dill loads, numpy allow_pickle=True, Lightning resume without weights_only)."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _calls(text: str, name: str) -> list[str]:
    """Full text of every call ``name(...)`` (balanced parentheses)."""
    out = []
    for m in re.finditer(re.escape(name) + r"\s*\(", text):
        depth, i = 0, m.end() - 1
        while i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            if depth == 0:
                break
            i += 1
        out.append(text[m.start() : i + 1])
    return out


def test_no_unsafe_deserialisation() -> None:
    problems = []
    files = sorted(SRC.rglob("*.py"))
    assert files
    for f in files:
        text = f.read_text(encoding="utf-8")
        rel = f.relative_to(SRC.parent)
        for call in _calls(text, "torch.load"):
            if not re.search(r"weights_only\s*=\s*True", call):
                problems.append(f"{rel}: {call[:80]} without weights_only=True")
        for name in (
            "pickle.load",
            "pickle.loads",
            "joblib.load",
            "dill.load",
            "cloudpickle.load",
            "pd.read_pickle",
            "pandas.read_pickle",
        ):
            for call in _calls(text, name):
                problems.append(f"{rel}: {call[:80]}")
        for call in _calls(text, "np.load") + _calls(text, "numpy.load"):
            if re.search(r"allow_pickle\s*=\s*True", call):
                problems.append(f"{rel}: {call[:80]}")
        for call in _calls(text, ".fit"):
            if "ckpt_path" in call and not re.search(r"weights_only\s*=\s*True", call):
                problems.append(f"{rel}: Lightning resume without weights_only=True: {call[:80]}")
        if re.search(r"^\s*(from|import)\s+(pickle|dill|cloudpickle|joblib)\b", text, re.M):
            problems.append(f"{rel}: imports a pickle library")
    assert not problems, "\n".join(problems)


def test_the_check_can_fail(tmp_path: Path) -> None:
    bad = "x = torch.load(path)\ny = torch.load(p, weights_only=True)\n"
    assert len(_calls(bad, "torch.load")) == 2
    assert [c for c in _calls(bad, "torch.load") if "weights_only=True" not in c] == [
        "torch.load(path)"
    ]
