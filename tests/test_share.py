"""The one file to send: the client page with the clip and pictures inside it, playing from an empty folder."""

from __future__ import annotations

import re
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup

from pipeline.index import IndexEntry, write_index
from pipeline.report import write_share
from pipeline.settings import ReportSettings
from pipeline.video import ClipWriter, probe, shrink_clip
from tests.browser import chromium_or_skip, dump_dom
from tests.test_report import make_result, meta


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1 s, 320×240 H.264 clip of moving colour."""
    path = tmp_path_factory.mktemp("clip") / "annotated.mp4"
    with ClipWriter(path, 320, 240, Fraction(30)) as w:
        for i in range(30):
            frame = np.zeros((240, 320, 3), np.uint8)
            frame[:, : 10 * i + 10] = (40, 160, 220)
            w.write(frame)
    return path


@pytest.fixture
def share(tmp_path: Path, clip: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    path = write_share(make_result(), out, meta(), None, ReportSettings(), clip, "squat.share.html")
    alone = tmp_path / "empty"
    alone.mkdir()
    return Path(shutil.copy(path, alone / path.name))  # nothing else in its folder


def test_share_file_needs_nothing_beside_it(share: Path) -> None:
    soup = BeautifulSoup(share.read_text(encoding="utf-8"), "html.parser")
    assert soup.select_one("video#clip")["src"].startswith("data:video/mp4;base64,")
    for tag in soup.find_all(src=True):
        assert tag["src"].startswith("data:"), tag.name
    for tag in soup.find_all(href=True):
        assert tag["href"].startswith(("data:", "#")), tag["href"]
    assert list(share.parent.iterdir()) == [share]


def test_share_file_plays_alone_in_chromium(share: Path) -> None:
    chromium = chromium_or_skip()
    p = dump_dom(chromium, share.as_uri())
    video = BeautifulSoup(p.stdout, "html.parser").select_one("video#clip")
    assert video is not None, p.stdout[-500:] + p.stderr[-500:]
    assert video.get("data-state") == "ready", (video.attrs.get("data-state"), p.stderr[-500:])
    assert abs(float(video["data-duration"]) - 1.0) < 0.1


def test_shrink_clip_caps_the_long_side(tmp_path: Path, clip: Path) -> None:
    small = tmp_path / "small.mp4"
    assert shrink_clip(clip, small, 160)
    info = probe(small)
    assert (info.width, info.height) == (160, 120)
    assert not shrink_clip(clip, tmp_path / "same.mp4", 320) and not (tmp_path / "same.mp4").exists()


@pytest.mark.parametrize(
    ("size", "setting", "advice"), [(3_000_000, 0, None), (20_000_000, 0, 720), (20_000_000, 720, 480)]
)
def test_overview_warns_when_a_share_file_is_too_big_to_email(
    tmp_path: Path, size: int, setting: int, advice: int | None
) -> None:
    e = IndexEntry("a.mp4", "ok", "", "a.mp4/report.html", make_result("a.mp4"), share_href="a.mp4/a.share.html")
    e = IndexEntry(**{**e.__dict__, "share_bytes": size})
    write_index([e], tmp_path, ReportSettings(share_max_side=setting))
    soup = BeautifulSoup((tmp_path / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.select_one(".share a")["href"] == "a.mp4/a.share.html"
    warning = soup.select_one(".share-warning")
    if advice is None:
        assert warning is None
    else:
        assert re.search(rf"--share-max-side {advice}\b", warning.get_text()) and "15 MB" in warning.get_text()
