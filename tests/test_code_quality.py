"""The house checks as tests, so CI keeps them: ruff (lint and format) over the code, mypy over the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_lint_and_format_are_clean() -> None:
    lint = _run("ruff", "check", "pipeline", "tests", "benchmarks")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run("ruff", "format", "--check", "pipeline", "tests", "benchmarks")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_finds_no_type_errors_in_the_package() -> None:
    """pyproject's [tool.mypy] (files = pipeline, unused ignores reported); ~25 s cold."""
    out = _run("mypy")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-1000:]
