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
