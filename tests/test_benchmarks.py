"""The benchmark scripts' own pieces that can be checked without the real-clip corpus."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from pipeline.video import ffmpeg_exe

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from mirror_clips import mirror  # noqa: E402
from real_clips import current  # noqa: E402


def _gray_frame(path: Path, w: int, h: int) -> np.ndarray:
    cmd = [ffmpeg_exe(), "-v", "error", "-i", str(path), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    return np.frombuffer(subprocess.run(cmd, check=True, capture_output=True).stdout, np.uint8).reshape(h, w)


def test_mirror_flips_left_and_right_and_writes_whole_files(tmp_path: Path) -> None:
    """A white block in the left quarter of a black clip ends in the right quarter, and no part file is left."""
    src, dst = tmp_path / "in.mp4", tmp_path / "out" / "in.mov"
    lavfi = "color=black:s=64x48:d=0.5,drawbox=x=0:y=0:w=16:h=48:color=white:t=fill"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", lavfi, "-pix_fmt", "yuv420p", str(src)], check=True
    )
    mirror(src, dst)
    before, after = _gray_frame(src, 64, 48), _gray_frame(dst, 64, 48)
    assert before[:, :12].mean() > 200 and before[:, -12:].mean() < 40
    assert after[:, -12:].mean() > 200 and after[:, :12].mean() < 40
    assert [p.name for p in dst.parent.iterdir()] == ["in.mov"]


def test_keypoints_from_an_older_pose_stage_are_not_scored_as_current(tmp_path: Path) -> None:
    """After a pose change the real-clip and mirror checks must not re-score the old keypoints as if new."""
    from test_cache import make_track

    from pipeline.cache import save_track
    from pipeline.pose import POSE_VERSION

    for name, stage in (("now", f"hybrid/v{POSE_VERSION}"), ("old", f"hybrid/v{POSE_VERSION - 1}"), ("unsaid", "")):
        save_track(tmp_path / f"{name}.npz", make_track(), "k", stage)
    assert current(tmp_path / "now.npz") and not current(tmp_path / "old.npz")
    assert current(tmp_path / "unsaid.npz")  # from before the record: taken as it is, and counted aloud
    assert not current(tmp_path / "missing.npz")
