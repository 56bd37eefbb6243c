"""Reliability suite: writes its tallies to ``$ONCOSIG_RELIABILITY_STATS`` when set."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from reliability_inputs import TALLY


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("ONCOSIG_RELIABILITY_STATS")
    if target:
        Path(target).write_text(json.dumps(TALLY, indent=2, sort_keys=True) + "\n")
