"""Bad and unusual input, generated here (ffmpeg test sources and our own rendered sample), through the real CLI.

Each file must give either a report or one clear line naming the file and the cause; never a traceback, never
a hang, never damage to another video's output.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.video import ffmpeg_exe

REPO = Path(__file__).resolve().parent.parent
SAMPLE = sorted((REPO / "sample_videos").glob("*front*good*.mp4"))


def ff(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *args], check=True, timeout=120)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("corpus")
    person = d / "_person.mp4"  # 2 s of our rendered squat: the source of every "real" variant
    ff("-i", str(SAMPLE[0]), "-t", "2", "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(person))
    (d / "empty.mp4").write_bytes(b"")
    (d / "notes.mp4").write_text("this is a text file with a video ending\n")
    good = person.read_bytes()
    (d / "truncated.mp4").write_bytes(good[: len(good) // 3])  # moov at the end → missing
    ff("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(d / "audio only.m4a"))
    (d / "audio only.m4a").rename(d / "audio only.mp4")
    ff(
        "-f",
        "lavfi",
        "-i",
        "color=c=gray:s=64x64",
        "-frames:v",
        "1",
        "-f",
        "image2",
        "-c:v",
        "png",
        str(d / "still.png"),
    )
    (d / "still.png").rename(d / "still.mov")
    ff(
        "-f",
        "lavfi",
        "-i",
        "color=c=black:s=160x120:r=10:d=10",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        str(d / "black ten seconds.mp4"),
    )
    ff("-i", str(person), "-frames:v", "1", "-c:v", "libx264", str(d / "one-frame.mp4"))
    ff("-i", str(person), "-vf", "scale=160:-2", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(d / "tiny 160.mp4"))
    ff("-i", str(person), "-c:v", "libx265", "-tag:v", "hvc1", "-pix_fmt", "yuv420p", str(d / "hevc.mov"))
    ff("-i", str(person), "-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "40", "-deadline", "realtime", str(d / "vp9.webm"))
    ff("-i", str(person), "-c:v", "libx264", str(d / "matroska ünïcödé.mkv"))
    ff("-display_rotation", "90", "-i", str(person), "-c", "copy", str(d / 'rotated "portrait".mp4'))
    for name in ("<script>alert(1)<script>.mp4", "--leading-dash.mp4"):  # hostile names: the bytes are fine
        shutil.copyfile(person, d / name)
    person.unlink()
    return d


ERRORS = {  # file → words its one error line must contain
    "empty.mp4": "empty",
    "notes.mp4": "not a video",
    "truncated.mp4": "truncated",
    "audio only.mp4": "no video",
    "still.mov": "single image",
    "black ten seconds.mp4": "no person",
    "one-frame.mp4": "too short",
}
OK = [
    "tiny 160.mp4",
    "hevc.mov",
    "vp9.webm",
    "matroska ünïcödé.mkv",
    'rotated "portrait".mp4',
    "<script>alert(1)<script>.mp4",
    "--leading-dash.mp4",
]


@pytest.mark.slow
def test_every_file_gets_a_report_or_one_clear_line(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["batch", str(corpus), "-o", str(out), "--pose", "mediapipe", "--timeout", "300"])
    assert r.exit_code == 1, r.output  # some failed, none crashed the batch
    assert "Traceback" not in r.output + r.stderr
    lines = r.output.splitlines()
    for name, words in ERRORS.items():
        mine = [ln for ln in lines if f"error  {name}:" in ln]
        assert len(mine) == 1, f"{name}: expected one error line in\n{r.output}"
        assert words in mine[0].lower(), mine[0]
    for name in OK:
        assert any(f"ok     {name}" in ln for ln in lines), f"{name} did not succeed:\n{r.output}"
    folders = {p.name for p in out.iterdir() if p.is_dir()}
    assert not any(f.endswith(".partial") for f in folders), folders
    html = (out / "index.html").read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
