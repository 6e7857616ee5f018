"""`--cluster` at the edges, without a cluster: the flag reaches the library, and a missing Ray is one clear line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.batch import BatchSummary
from pipeline.cli import cli
from pipeline.errors import ClusterError


def test_cluster_address_reaches_the_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake(input_dir, out_root, settings, **kw):
        seen.update(cluster=kw["cluster"], jobs=kw["jobs"])
        return BatchSummary(index_path=out_root / "index.html")

    monkeypatch.setattr("pipeline.batch.process_folder", fake)
    r = CliRunner().invoke(cli, ["batch", str(tmp_path), "--cluster", "ray://head:10001", "-j", "8"])
    assert r.exit_code == 0, r.output + r.stderr
    assert seen == {"cluster": "ray://head:10001", "jobs": 8}


def test_without_ray_the_cluster_flag_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.cluster import connect

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray → ImportError, as on a default install
    with pytest.raises(ClusterError, match=r"pip install 'formreview\[cluster\]'"):
        connect("auto")


def test_a_parcel_carries_both_keypoint_caches_of_an_earlier_run(tmp_path: Path) -> None:
    """A settings change re-runs a video on a worker without redoing its pose: neither the keypoints nor the flipped
    look of a red card (`pipeline.mirror`) are made again there."""
    from pipeline.cache import CACHE_NAME, FLIP_CACHE_NAME
    from pipeline.cluster import _parcel
    from pipeline.inputs import VideoInput

    video = tmp_path / "in" / "anna" / "squat.mp4"
    video.parent.mkdir(parents=True)
    video.write_bytes(b"video bytes")
    v = VideoInput(video, "anna", Path("anna/squat.mp4"), "anna/squat.mp4")
    out = tmp_path / "out" / v.out_rel
    assert _parcel(v, tmp_path / "out").pose_caches == {}  # a first run: nothing to send
    out.mkdir(parents=True)
    (out / CACHE_NAME).write_bytes(b"keypoints")
    assert _parcel(v, tmp_path / "out").pose_caches == {CACHE_NAME: b"keypoints"}
    (out / FLIP_CACHE_NAME).write_bytes(b"flipped look")
    parcel = _parcel(v, tmp_path / "out")
    assert parcel.pose_caches == {CACHE_NAME: b"keypoints", FLIP_CACHE_NAME: b"flipped look"}
    assert parcel.video == b"video bytes" and parcel.client == "anna"
