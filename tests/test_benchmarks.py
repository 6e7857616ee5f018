"""The benchmark scripts' own pieces that can be checked without the real-clip corpus."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.video import ffmpeg_exe

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from mirror_clips import mirror  # noqa: E402
from real_clips import HIDE, _made_here, current, scored  # noqa: E402


def _gray_frame(path: Path, w: int, h: int) -> np.ndarray:
    cmd = [ffmpeg_exe(), "-v", "error", "-i", str(path), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    return np.frombuffer(subprocess.run(cmd, check=True, capture_output=True).stdout, np.uint8).reshape(h, w)


def _lavfi_clip(lavfi: str, dst: Path) -> None:
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", lavfi, "-pix_fmt", "yuv420p", str(dst)], check=True
    )


def test_mirror_flips_left_and_right_and_writes_whole_files(tmp_path: Path) -> None:
    """A white block in the left quarter of a black clip ends in the right quarter, and no part file is left."""
    src, dst = tmp_path / "in.mp4", tmp_path / "out" / "in.mov"
    lavfi = "color=black:s=64x48:d=0.5,drawbox=x=0:y=0:w=16:h=48:color=white:t=fill"
    _lavfi_clip(lavfi, src)
    mirror(src, dst)
    before, after = _gray_frame(src, 64, 48), _gray_frame(dst, 64, 48)
    assert before[:, :12].mean() > 200 and before[:, -12:].mean() < 40
    assert after[:, -12:].mean() > 200 and after[:, :12].mean() < 40
    assert [p.name for p in dst.parent.iterdir()] == ["in.mov"]


def test_tilt_turns_the_clip_clockwise_and_keeps_its_size(tmp_path: Path) -> None:
    """A vertical white bar through the middle leans right at the top after `--look tilt`: 40 px above the centre
    a 5° clockwise turn moves it 40·sin 5° ≈ 3.5 px right, and as far left 40 px below."""
    src, dst = tmp_path / "in.mp4", tmp_path / "out" / "in.mp4"
    lavfi = "color=black:s=64x96:d=0.5,drawbox=x=28:y=0:w=8:h=96:color=white:t=fill"
    _lavfi_clip(lavfi, src)
    mirror(src, dst, "tilt")
    frame = _gray_frame(dst, 64, 96).astype(np.float64)
    x = np.arange(64)

    def centre_x(row: int) -> float:
        w = np.clip(frame[row] - 40.0, 0.0, None)
        return float((w * x).sum() / w.sum())

    assert centre_x(8) - 32.0 == pytest.approx(40 * np.sin(np.radians(5)), abs=1.0)
    assert 32.0 - centre_x(88) == pytest.approx(40 * np.sin(np.radians(5)), abs=1.0)


def test_keypoints_from_an_older_pose_stage_are_not_scored_as_current(tmp_path: Path) -> None:
    """After a pose change the real-clip and mirror checks must not re-score the old keypoints as if new."""
    from test_cache import make_track

    from pipeline.cache import save_track
    from pipeline.pose import POSE_VERSION
    from pipeline.settings import load_settings

    settings = load_settings()
    for name, stage in (("now", f"hybrid/v{POSE_VERSION}"), ("old", f"hybrid/v{POSE_VERSION - 1}"), ("unsaid", "")):
        save_track(tmp_path / f"{name}.npz", make_track(), "k", stage)
    assert current(tmp_path / "now.npz", settings) and not current(tmp_path / "old.npz", settings)
    assert current(tmp_path / "unsaid.npz", settings)  # from before the record: taken as it is, and counted aloud
    assert not current(tmp_path / "missing.npz", settings)


def test_keypoints_made_with_another_yolo_stride_for_their_frame_rate_are_not_current(tmp_path: Path) -> None:
    """An 8 fps clip's hybrid keypoints made before YOLO's stride followed the frame rate (every 3rd frame, 0.375 s
    apart) are run again; those made with this code's stride (every 2nd frame) are current."""
    from dataclasses import replace

    from pipeline.cache import save_track
    from pipeline.pose import POSE_VERSION
    from pipeline.settings import load_settings
    from tests.synthetic_tracks import Spec, make_track

    settings = load_settings()
    slow = replace(make_track(Spec(fps=8.0))[0], backend="hybrid")
    stage = f"hybrid/v{POSE_VERSION}"
    save_track(tmp_path / "before.npz", slow, "k", stage)
    save_track(tmp_path / "now.npz", replace(slow, extra={"detect_every": 2}), "k", stage)
    assert not current(tmp_path / "before.npz", settings) and current(tmp_path / "now.npz", settings)
    fast = replace(make_track(Spec(fps=30.0))[0], backend="hybrid")
    save_track(tmp_path / "fast.npz", fast, "k", stage)  # 30 fps: every 3rd frame, then and now
    assert current(tmp_path / "fast.npz", settings)


def test_keypoints_another_pose_set_up_made_are_made_again() -> None:
    """A folder read with BlazePose alone (`--pose mediapipe`, what a coach without YOLO weights gets) must not pass
    for the hybrid set-up's, nor the other way round: a table would mix the two set-ups' keypoints."""
    from dataclasses import replace

    from tests.synthetic_tracks import Spec, make_track

    track = make_track(Spec(fps=30.0))[0]
    hybrid, blazepose = replace(track, backend="hybrid"), replace(track, backend="mediapipe")
    assert _made_here(hybrid, "hybrid") and not _made_here(hybrid, "mediapipe")
    assert _made_here(blazepose, "mediapipe") and not _made_here(blazepose, "hybrid")


def test_a_clip_scored_with_its_upper_body_hidden_loses_the_trunk_but_not_the_reps(tmp_path: Path) -> None:
    """`--hide upper` takes out the head and shoulders, as a camera framing the hips down would: a rendered side squat
    still reads side, squat, 3 reps, and its trunk, which needs the shoulders, is no longer judged."""
    from corpus import Clip

    from pipeline.cache import save_track
    from pipeline.settings import load_settings
    from tests.synthetic_tracks import Spec, make_track

    save_track(tmp_path / "k.npz", make_track(Spec(yaw_deg=90.0, reps=3))[0], "k", "")
    clip = Clip("side.mp4", "", "", "", "", view="side", exercise="squat", reps=3, knee="n/a")
    trunk = []
    for hide in (None, HIDE["upper"]):
        got = scored(clip, tmp_path / "k.npz", load_settings(), hide)
        assert got is not None
        r, right, _ = got
        assert right, (r.view, r.exercise, len(r.reps))
        trunk.append({v.area: v.colour for v in r.verdicts}["trunk"])
    assert trunk[0] != "grey" and trunk[1] == "grey"


def test_corpus_restore_takes_files_at_their_commit_and_cuts_converted_ones(tmp_path: Path) -> None:
    """A clip stored whole comes back byte for byte from its commit (not from a later one that changed it); a clip
    cut from a GIF is converted again from its checked source and accepted as re-converted; a source with other
    bytes is refused with the reason."""
    import hashlib

    from corpus import Clip, check, restore

    repo = tmp_path / "clones" / "someone+squats"

    def git(*args: str) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
        }
        done = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env)
        return done.stdout.strip()

    repo.mkdir(parents=True)
    git("init", "-q")
    whole = b"not really a video, but bytes to keep"
    (repo / "a.mp4").write_bytes(whole)
    lavfi = "testsrc=s=64x48:r=10:d=2"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", lavfi, str(repo / "b.gif")], check=True)
    git("add", ".")
    git("commit", "-qm", "clips")
    first = git("rev-parse", "HEAD")
    (repo / "a.mp4").write_bytes(b"changed later")
    git("commit", "-qam", "change")
    gif = (repo / "b.gif").read_bytes()

    def clip(file: str, path: str, sha: str, **kw: object) -> Clip:
        labels = dict(view="front", exercise="squat", reps=1, knee="good")
        return Clip(file=file, repo="someone/squats", path=path, commit=first, sha256=sha, **labels, **kw)  # type: ignore[arg-type]

    digest = hashlib.sha256(gif).hexdigest()
    clips = [
        clip("whole.mp4", "a.mp4", hashlib.sha256(whole).hexdigest()),
        clip("cut.mp4", "b.gif", "0" * 64, source_sha256=digest, trim_s=(0.5, 1.5)),
        clip("wrong.mp4", "b.gif", "0" * 64, source_sha256="1" * 64),
    ]
    copy = tmp_path / "copy"
    problems = restore(tmp_path / "clones", copy, clips)
    assert (copy / "whole.mp4").read_bytes() == whole
    assert problems == [f"not restored: wrong.mp4: b.gif at {first[:12]} has other bytes (sha256 {digest[:12]}…)"]
    ok, lines = check(copy, clips)
    assert [c.file for c in ok] == ["whole.mp4", "cut.mp4"]
    assert lines[0].startswith("re-converted: cut.mp4") and lines[1].startswith("missing: wrong.mp4")
    decoded = subprocess.run(
        [ffmpeg_exe(), "-i", str(copy / "cut.mp4"), "-map", "0:v", "-f", "null", "-"], capture_output=True, text=True
    )
    assert decoded.returncode == 0 and "frame=10" in decoded.stderr.replace(" ", "")  # 1 s of a 10 fps source


def test_no_clip_is_in_the_corpus_twice() -> None:
    """The two manifests are scored together: a clip fetched again from another repository (nine of rounds 20-21
    were byte-identical to clips in ../shared/videos) would count twice. No sha256, of a clip or of the source it was
    cut from, may appear in two entries."""
    from collections import Counter

    from corpus import MANIFEST, SHARED_MANIFEST, load

    clips = load(SHARED_MANIFEST) + load(MANIFEST)
    assert len(clips) > 300
    seen = Counter(c.sha256 for c in clips)
    assert [c.file for c in clips if seen[c.sha256] > 1] == []
    # a clip cut from a source: the source itself must not be an entry too (two panels of one reel may share one)
    whole = {c.sha256 for c in clips}
    assert [c.file for c in clips if c.source_sha256 in whole] == []


def test_a_trimmed_clip_without_its_cut_is_refused(tmp_path: Path) -> None:
    """Ten clips named "_trimmed_" carried their source's sha256 but no `trim_s`, so a restore on a fresh machine wrote
    each whole source: a 24.6 s video labelled with the 3 reps of its 7.5 s cut read 9. The manifest refuses such an
    entry."""
    from corpus import load

    entry = (
        '[[clip]]\nfile = "squat_front_home_trimmed_1.mp4"\nrepo = "a/b"\npath = "v.mp4"\n'
        f'commit = "{"0" * 40}"\nsha256 = "{"1" * 64}"\nsource_sha256 = "{"2" * 64}"\n'
        'view = "front"\nexercise = "squat"\nreps = 3\nknee = "good"\n'
    )
    bad = tmp_path / "bad.toml"
    bad.write_text(entry)
    with pytest.raises(ValueError, match="a trimmed clip without trim_s"):
        load(bad)
    good = tmp_path / "good.toml"
    good.write_text(entry.replace('view = "front"', 'trim_s = [12.0, 19.5]\nview = "front"'))
    assert load(good)[0].trim_s == (12.0, 19.5)
