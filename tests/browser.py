"""Headless Chromium for the tests that load pages in a real browser.

A coach's machine usually has no Chromium, so there these tests skip and say why; CI installs it (.ci/run) and
sets CI, and then a missing browser is a failure, never a silent skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium_or_skip() -> str:
    """The browser's path; skips the test (fails it when $CI is set) when there is none."""
    found = next((p for p in map(shutil.which, NAMES) if p), None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("headless Chromium is needed for this test: apt-get install chromium (CI installs it)")
        pytest.skip("headless Chromium is not installed (apt-get install chromium); CI runs this check")
    return found


def dump_dom(
    chromium: str, url: str, budget_ms: int = 8000, window: tuple[int, int] = (800, 600)
) -> subprocess.CompletedProcess[str]:
    """Load `url` headless in a `window` (width, height) px, let its scripts run for `budget_ms` of virtual time, and
    return the DOM on stdout."""
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--allow-file-access-from-files",
                f"--virtual-time-budget={budget_ms}",
                f"--window-size={window[0]},{window[1]}",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )


def probe_text(chromium: str, page: Path, window: tuple[int, int] = (800, 600)) -> str:
    """Load `page`, whose script writes what it measured into `<pre id="out">` (which starts as "pending"), and
    return that text; fails with the browser's output when the script never wrote it."""
    p = dump_dom(chromium, page.as_uri(), window=window)
    m = re.search(r'<pre id="out">([^<]*)</pre>', p.stdout)
    assert m and m.group(1) != "pending", p.stdout[-500:] + p.stderr[-500:]
    return m.group(1)
