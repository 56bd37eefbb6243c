"""Open an HTML file in headless Chromium and read back what it rendered."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("/usr/bin/chromium")

# After load: every <img>'s naturalWidth (-1 while not complete) and every section's id.
_PROBE = (
    "<script>window.addEventListener('load',function(){var r=[];"
    "for(var i=0;i<document.images.length;i++){var im=document.images[i];"
    "r.push(im.complete?im.naturalWidth:-1);}var s=[];"
    "document.querySelectorAll('section').forEach(function(e){s.push(e.id);});"
    "var d=document.createElement('pre');d.id='imgcheck';"
    "d.textContent=JSON.stringify({widths:r,sections:s});document.body.appendChild(d);});</script>"
)


def require_chromium() -> str:
    """The Chromium binary; skips the test where it is missing (fails on CI)."""
    if CHROMIUM is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("chromium is not installed on CI; run scripts/system-deps.sh")
        pytest.skip("chromium is not installed (scripts/system-deps.sh installs it)")
    return CHROMIUM


def render(html_text: str, workdir: Path) -> dict[str, list]:
    """Load the page in headless Chromium; ``{"widths": [...], "sections": [...]}``.

    ``widths`` holds each image's ``naturalWidth`` in document order (0 = not decoded).
    """
    chromium = require_chromium()
    workdir.mkdir(parents=True, exist_ok=True)
    probe = workdir / "probe.html"
    probe.write_text(html_text.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={workdir / 'profile'}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        probe.as_uri(),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    match = re.search(r'<pre id="imgcheck">([^<]*)</pre>', res.stdout)
    assert match, f"chromium did not run the probe (rc {res.returncode}): {res.stderr[-2000:]}"
    return json.loads(match.group(1))


def assert_every_image_rendered(html_text: str, workdir: Path) -> dict[str, list]:
    """Render the page and check that every ``<img>`` was decoded (naturalWidth > 0)."""
    seen = render(html_text, workdir)
    widths = seen["widths"]
    assert len(widths) == html_text.count("<img "), (len(widths), html_text.count("<img "))
    assert widths and all(w > 0 for w in widths), widths
    return seen
