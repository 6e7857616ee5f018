"""The real-clip corpus: manifests of where each clip came from and how we labelled it, and a check of a local copy.

    python benchmarks/corpus.py check ~/formreview-corpus             # clips of corpus.toml: present, bytes right
    python benchmarks/corpus.py check ../shared/videos --shared        # the shared fixtures against corpus_shared.toml
    python benchmarks/corpus.py restore ~/clones ~/formreview-corpus   # rebuild a copy from git clones of the repos

The clips themselves never enter this repository (their footage licences are unknown): `corpus.toml` lists clips
fetched from public repositories (repo, path, commit, sha256), `corpus_shared.toml` the ones in ../shared/videos.
To rebuild a local copy, clone each repository into one folder (as `owner+name` or `owner/name`) and `restore`:
it takes each file at its commit and checks its bytes. A clip converted from another format (an animated GIF, a MOV),
or cut from a longer file (`trim_s`: from, to in seconds; `crop`: ffmpeg's crop of one panel), carries
`source_sha256`, the source file's: its converted bytes depend on the ffmpeg build, so `restore` converts the
checked source again (`CONVERT`) and `check` accepts such a copy, saying so.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pipeline.cache import file_sha256
from pipeline.files import write_atomic
from pipeline.video import ffmpeg_exe

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "corpus.toml"
SHARED_MANIFEST = HERE / "corpus_shared.toml"
SHARED_VIDEOS = HERE.parent.parent / "shared" / "videos"
VIEWS = ("front", "oblique", "side")
EXERCISES = ("squat", "lunge")
KNEE_LABELS = ("good", "cave", "unsure", "n/a")
# How a non-mp4 source becomes the clip: same frames and rate, even dimensions for H.264, no audio.
CONVERT = ["-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-an"]


@dataclass(frozen=True)
class Clip:
    """One labelled clip. `reps_also` / `view_also`: other answers a careful person could give (a partial rep)."""

    file: str
    repo: str
    path: str
    commit: str
    sha256: str
    view: str
    exercise: str
    reps: int
    knee: str
    view_also: tuple[str, ...] = ()
    reps_also: tuple[int, ...] = ()
    notes: str = ""
    source_sha256: str = ""  # set when the clip was converted or cut from `path`: that file's sha256
    trim_s: tuple[float, ...] = ()  # (from, to) seconds of the source, when the clip is a part of it
    crop: str = ""  # ffmpeg crop (w:h:x:y) of the source, when the clip is one panel of it

    @property
    def stem(self) -> str:
        return Path(self.file).stem


def load(path: Path) -> list[Clip]:
    """The manifest's clips, each checked for known labels (a typo in a label would silently score nothing)."""
    if not path.exists():
        return []
    clips = []
    for i, c in enumerate(tomllib.loads(path.read_text(encoding="utf-8")).get("clip", [])):
        clip = Clip(
            **{k: v for k, v in c.items() if k not in ("view_also", "reps_also", "trim_s")},
            view_also=tuple(c.get("view_also", ())),
            reps_also=tuple(c.get("reps_also", ())),
            trim_s=tuple(float(x) for x in c.get("trim_s", ())),
        )
        bad = [
            f"{name} {value!r}"
            for name, value, allowed in (
                ("view", clip.view, VIEWS),
                ("exercise", clip.exercise, EXERCISES),
                ("knee", clip.knee, KNEE_LABELS),
            )
            if value not in allowed
        ] + [f"view_also {v!r}" for v in clip.view_also if v not in VIEWS]
        if clip.trim_s and not (len(clip.trim_s) == 2 and 0 <= clip.trim_s[0] < clip.trim_s[1]):
            bad.append(f"trim_s {clip.trim_s!r}")
        if (clip.trim_s or clip.crop) and not clip.source_sha256:
            bad.append("trim_s or crop without source_sha256")
        if "_trimmed_" in clip.file and not clip.trim_s:
            # restored without it, the clip is its whole source: ten such read 24.6 s where the labels describe 7.5 s
            bad.append("a trimmed clip without trim_s")
        if bad or len(clip.sha256) != 64 or len(clip.commit) != 40 or len(clip.source_sha256) not in (0, 64):
            raise ValueError(f"{path.name} clip {i + 1} ({clip.file}): bad {', '.join(bad) or 'sha256 or commit'}")
        clips.append(clip)
    return clips


def check(folder: Path, clips: list[Clip]) -> tuple[list[Clip], list[str]]:
    """(clips present with the right bytes, one line per missing or changed clip and per re-converted one).

    A converted clip (`source_sha256`) whose bytes differ was converted again by another ffmpeg build: it is kept,
    and its line starts with "re-converted" rather than naming a problem."""
    ok, problems = [], []
    for c in clips:
        f = folder / c.file
        if not f.exists():
            problems.append(f"missing: {c.file} (from {c.repo} {c.path} @ {c.commit[:12]})")
        elif file_sha256(f) == c.sha256:
            ok.append(c)
        elif c.source_sha256:
            problems.append(f"re-converted: {c.file} (its bytes depend on the ffmpeg build; source checked on restore)")
            ok.append(c)
        else:
            problems.append(f"changed: {c.file} does not match its sha256 {c.sha256[:12]}…")
    return ok, problems


def _git_dir(clones: Path, repo: str) -> Path | None:
    """The git directory of `repo` under `clones` (owner+name or owner/name; bare, with .git, or in repo/)."""
    for top in (clones / repo.replace("/", "+"), clones / repo):
        for d in (top, top / ".git", top / "repo", top / "repo" / ".git"):
            if (d / "HEAD").is_file() and (d / "objects").is_dir():
                return d
    return None


def restore_clip(git_dir: Path, c: Clip, folder: Path) -> str:
    """Write clip `c` into `folder` from its repository's git directory; "" when done, else why not."""
    got = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{c.commit}:{c.path}"], capture_output=True)
    if got.returncode != 0:
        return f"{c.path} is not in {c.repo} at {c.commit[:12]}"
    blob = got.stdout
    digest = hashlib.sha256(blob).hexdigest()
    if digest == c.sha256:
        write_atomic(folder / c.file, blob)
        return ""
    if not c.source_sha256 or digest != c.source_sha256:
        return f"{c.path} at {c.commit[:12]} has other bytes (sha256 {digest[:12]}…)"
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / ("source" + Path(c.path).suffix), Path(tmp) / "clip.mp4"
        src.write_bytes(blob)
        cut = ["-ss", f"{c.trim_s[0]:g}", "-to", f"{c.trim_s[1]:g}"] if c.trim_s else []
        convert = list(CONVERT)
        if c.crop:
            convert[1] = f"crop={c.crop}," + convert[1]
        cmd = [
            ffmpeg_exe(),
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            str(src),
            *cut,
            *convert,
            str(out),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            return f"converting {c.path} failed: {done.stderr.strip()[-200:]}"
        write_atomic(folder / c.file, out.read_bytes())
    return ""


def restore(clones: Path, folder: Path, clips: list[Clip]) -> list[str]:
    """Rebuild every clip not already present and unchanged; one line per clip that could not be."""
    folder.mkdir(parents=True, exist_ok=True)
    have, _ = check(folder, clips)
    left = [c for c in clips if c not in have]
    problems = []
    for c in left:
        git_dir = _git_dir(clones, c.repo)
        why = restore_clip(git_dir, c, folder) if git_dir else f"no clone of {c.repo} in {clones}"
        if why:
            problems.append(f"not restored: {c.file}: {why}")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["check", "restore"])
    ap.add_argument("folder", type=Path, nargs="+", help="check: the copy; restore: the clones' folder, then the copy")
    ap.add_argument("--shared", action="store_true", help="check against corpus_shared.toml")
    args = ap.parse_args()
    clips = load(SHARED_MANIFEST if args.shared else MANIFEST)
    if args.command == "restore":
        if len(args.folder) != 2:
            ap.error("restore takes two folders: the clones, then the copy")
        for line in restore(args.folder[0], args.folder[1], clips):
            print(line)
    args.folder = args.folder[-1]
    ok, problems = check(args.folder, clips)
    for p in problems:
        print(p)
    again = sum(p.startswith("re-converted") for p in problems)
    print(f"{len(ok)}/{len(clips)} clips present in {args.folder}" + (f" ({again} re-converted)" if again else ""))
    return 1 if len(ok) < len(clips) else 0


if __name__ == "__main__":
    raise SystemExit(main())
