"""Reliability suite: writes its tallies to ``$ONCOSIG_RELIABILITY_STATS`` when set."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from reliability_inputs import TALLY


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("ONCOSIG_RELIABILITY_STATS")
    if target:
        Path(target).write_text(json.dumps(TALLY, indent=2, sort_keys=True) + "\n")
