"""Start-up: the batch's parent stays light, and a worker loads what its job needs later while YOLO runs."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("scipy.signal", "scipy.optimize", "mediapipe", "ultralytics", "torch")


def test_the_batch_parent_does_not_import_the_heavy_libraries() -> None:
    """The parent only finds, names and skips videos; each of these costs 0.4–5 s to import."""
    code = (
        "import sys, pipeline.cli, pipeline.batch, pipeline.job; print(*[m for m in sys.argv[1:] if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code, *HEAVY], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []


def warmed(plan: str) -> list[str]:
    """Which heavy modules a fresh process holds after warm_up(plan) has finished."""
    code = (
        "import sys; from pipeline.batch import warm_up; from pipeline.pose import BackendPlan; "
        f"warm_up(BackendPlan({plan!r}, None)).join(); "
        "print(*[m for m in ('scipy.signal', 'scipy.optimize', 'scipy.ndimage', 'mediapipe') if m in sys.modules])"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()


def test_warm_up_imports_what_the_job_needs_after_yolo() -> None:
    assert warmed("hybrid") == ["scipy.signal", "scipy.optimize", "scipy.ndimage", "mediapipe"]


def test_warm_up_for_yolo_alone_leaves_mediapipe_out() -> None:
    assert warmed("yolo") == ["scipy.signal", "scipy.optimize", "scipy.ndimage"]
