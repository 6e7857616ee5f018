"""Finding the videos: sub-folders are clients, and everything skipped is counted with its reason."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

from pipeline.files import open_to_umask, write_atomic
from pipeline.inputs import find_inputs
from pipeline.job import _swap_in

EXTS = (".mp4", ".mov")


def _touch(root: Path, *names: str) -> None:
    for name in names:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")


def test_flat_folder_videos_have_no_client(tmp_path: Path) -> None:
    _touch(tmp_path, "b.MP4", "a.mov", "a.json", "notes.txt")
    found = find_inputs(tmp_path, EXTS)
    assert [(v.label, v.client, v.out_rel.as_posix()) for v in found.videos] == [
        ("a.mov", "", "a.mov"),
        ("b.MP4", "", "b.MP4"),
    ]
    assert found.skipped == {}  # sidecars are expected beside videos


def test_sub_folders_are_clients_and_deeper_folders_stay_in_the_output_path(tmp_path: Path) -> None:
    _touch(tmp_path, "anna/squat.mp4", "anna/week 2/squat.mp4", "ben/lunge.mov", "loose.mp4")
    found = find_inputs(tmp_path, EXTS)
    got = [(v.label, v.client, v.out_rel.as_posix()) for v in found.videos]
    assert got == [
        ("anna/squat.mp4", "anna", "anna/squat.mp4"),
        ("anna/week 2/squat.mp4", "anna", "anna/week 2/squat.mp4"),  # no clash with anna's other squat.mp4
        ("ben/lunge.mov", "ben", "ben/lunge.mov"),
        ("loose.mp4", "", "loose.mp4"),
    ]


def test_hidden_resource_forks_non_videos_and_loops_are_skipped_with_one_line_each(tmp_path: Path) -> None:
    _touch(tmp_path, "anna/squat.mp4", "anna/._squat.mp4", "._x.mov", ".DS_Store", ".hidden/in.mp4", "anna/plan.pdf")
    _touch(tmp_path, "ben/a.docx")
    os.symlink("..", tmp_path / "anna" / "up")  # a loop
    os.symlink(tmp_path / "gone.mp4", tmp_path / "ben" / "dead.mp4")  # a broken link
    out = tmp_path / "reports"
    _touch(out, "anna/squat.mp4/annotated.mp4")  # the output folder inside the input: never read as input
    found = find_inputs(tmp_path, EXTS, exclude=out)
    assert [v.label for v in found.videos] == ["anna/squat.mp4"]
    assert {k: sorted(v) for k, v in found.skipped.items()} == {
        "appledouble": ["._x.mov", "anna/._squat.mp4"],
        "hidden": [".DS_Store", ".hidden"],
        "not_video": ["anna/plan.pdf", "ben/a.docx"],
        "loop": ["anna/up"],
        "broken_link": ["ben/dead.mp4"],
        "output": ["reports"],
    }
    lines = found.skip_lines()
    assert len(lines) == 6
    assert "skipped 2: macOS resource files" in "\n".join(lines)
    assert any(line.startswith("skipped 2: not videos by their ending (anna/plan.pdf, ben/a.docx)") for line in lines)


def test_a_folder_linked_twice_is_read_once(tmp_path: Path) -> None:
    _touch(tmp_path, "anna/squat.mp4")
    os.symlink(tmp_path / "anna", tmp_path / "anna again")
    found = find_inputs(tmp_path, EXTS)
    assert len(found.videos) == 1 and found.skipped == {"loop": ["anna again"]}


@pytest.mark.parametrize(("mask", "dir_mode", "file_mode"), [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600)])
def test_finished_folders_follow_the_umask_while_staging_stays_private(
    tmp_path: Path, mask: int, dir_mode: int, file_mode: int
) -> None:
    old = os.umask(mask)
    try:
        stage = Path(tempfile.mkdtemp(suffix=".partial", dir=tmp_path))
        assert stat.S_IMODE(stage.stat().st_mode) == 0o700  # nobody else reads a half-written report
        write_atomic(stage / "report.html", "<p>hi</p>")
        fd, raw = tempfile.mkstemp(dir=stage)  # like the keypoint cache and result.json
        os.close(fd)
        final = tmp_path / "anna" / "squat.mp4"
        final.parent.mkdir()
        _swap_in(stage, final)
    finally:
        os.umask(old)
    assert stat.S_IMODE(final.stat().st_mode) == dir_mode
    for f in final.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == file_mode, f.name


def test_open_to_umask_reaches_nested_folders(tmp_path: Path) -> None:
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    inner.chmod(0o700)
    old = os.umask(0o022)
    try:
        open_to_umask(tmp_path / "a")
    finally:
        os.umask(old)
    assert stat.S_IMODE(inner.stat().st_mode) == 0o755
