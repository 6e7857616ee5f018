"""Keypoint cache: round trip, stale keys, unreadable files."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from pipeline.cache import cache_key, load_track, save_track
from pipeline.keypoints import N_KP, PoseTrack


def make_track(n: int = 5) -> PoseTrack:
    rng = np.random.default_rng(42)
    xy = rng.uniform(0, 100, (n, N_KP, 2)).astype(np.float32)
    xy[2] = np.nan
    boxes = np.tile(np.array([1, 2, 30, 40], np.float32), (n, 1))
    boxes[2] = np.nan
    return PoseTrack(
        np.arange(n) / 29.97,
        xy,
        np.full((n, N_KP), 0.8, np.float32),
        boxes,
        (640, 360),
        Fraction(30000, 1001),
        "hybrid",
        "m@abc",
        "why",
        {"people_seen": 2},
    )


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    tr = make_track()
    save_track(tmp_path / "k.npz", tr, "key1")
    back = load_track(tmp_path / "k.npz", "key1")
    assert back is not None
    assert np.array_equal(back.xy, tr.xy, equal_nan=True) and np.array_equal(back.t_s, tr.t_s)
    assert (back.fps, back.frame_wh, back.backend, back.model_id, back.extra) == (
        Fraction(30000, 1001),
        (640, 360),
        "hybrid",
        "m@abc",
        {"people_seen": 2},
    )
    assert list(tmp_path.iterdir()) == [tmp_path / "k.npz"]  # no temp file left behind


def test_stale_key_or_garbage_means_recompute(tmp_path: Path) -> None:
    save_track(tmp_path / "k.npz", make_track(), "key1")
    assert load_track(tmp_path / "k.npz", "key2") is None
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert load_track(tmp_path / "bad.npz", "key1") is None
    assert load_track(tmp_path / "missing.npz", "key1") is None


def test_key_changes_with_each_input() -> None:
    base = cache_key("sha", "hybrid", "w", "s")
    assert (
        len(
            {
                base,
                cache_key("sha2", "hybrid", "w", "s"),
                cache_key("sha", "yolo", "w", "s"),
                cache_key("sha", "hybrid", "w2", "s"),
                cache_key("sha", "hybrid", "w", "s2"),
            }
        )
        == 5
    )


def test_a_new_pose_version_does_not_reuse_old_keypoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same video, model and settings but keypoint code that changed: the cache key must change."""
    from pipeline import job
    from pipeline.pose import BackendPlan
    from pipeline.settings import load_settings

    plan, settings = BackendPlan("mediapipe", None), load_settings()
    before = job.run_key("ab" * 32, plan, settings)
    monkeypatch.setattr(job, "POSE_VERSION", job.POSE_VERSION + 1)
    after = job.run_key("ab" * 32, plan, settings)
    assert before[0] != after[0] and before[1] != after[1]


def test_how_the_batch_runs_does_not_redo_finished_videos() -> None:
    """--jobs, the timeout and the file endings shape no output: the run key ignores them; a band does not."""
    from pipeline.job import run_key
    from pipeline.pose import BackendPlan
    from pipeline.settings import load_settings

    plan = BackendPlan("mediapipe", None)
    base = run_key("0" * 64, plan, load_settings())
    assert run_key("0" * 64, plan, load_settings(None, batch__jobs=2, batch__timeout_s=60.0)) == base
    assert run_key("0" * 64, plan, load_settings(None, analysis__keypoint_error=0.03))[1] != base[1]


def test_keypoints_say_which_pose_stage_made_them(tmp_path: Path) -> None:
    from pipeline.cache import track_pose

    track = make_track()
    save_track(tmp_path / "new.npz", track, "k", "hybrid/v7")
    save_track(tmp_path / "old.npz", track, "k")  # as before the record: no stage named
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    assert track_pose(tmp_path / "new.npz") == "hybrid/v7"
    assert track_pose(tmp_path / "old.npz") == track_pose(tmp_path / "junk.npz") == track_pose(tmp_path / "no") == ""
    assert load_track(tmp_path / "new.npz", "k") is not None  # the record changes nothing else


def test_a_cached_track_made_with_another_yolo_stride_for_its_frame_rate_is_made_again(tmp_path: Path) -> None:
    """Keypoints of an 8 fps clip cached before YOLO's stride followed the frame rate carry the same key but not what
    this code would make: the job must not reuse them (`pose.made_alike`)."""
    from dataclasses import replace

    from synthetic_tracks import Spec
    from synthetic_tracks import make_track as synthetic

    from pipeline.job import cached_track
    from pipeline.settings import load_settings

    settings = load_settings()
    slow = replace(synthetic(Spec(fps=8.0))[0], backend="hybrid")
    save_track(tmp_path / "before.npz", slow, "k")
    save_track(tmp_path / "now.npz", replace(slow, extra={"detect_every": 2}), "k")
    assert load_track(tmp_path / "before.npz", "k") is not None  # the key alone cannot tell
    assert cached_track(tmp_path / "before.npz", "k", settings) is None
    assert cached_track(tmp_path / "now.npz", "k", settings) is not None
    assert cached_track(tmp_path / "now.npz", "other key", settings) is None
    other = replace(slow, backend="mediapipe")  # no YOLO stride in it to go stale
    save_track(tmp_path / "mp.npz", other, "k")
    assert cached_track(tmp_path / "mp.npz", "k", settings) is not None
