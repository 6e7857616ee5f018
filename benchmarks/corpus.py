"""The real-clip corpus: manifests of where each clip came from and how we labelled it, and a check of a local copy.

    python benchmarks/corpus.py check ~/formreview-corpus             # clips of corpus.toml: present, bytes right
    python benchmarks/corpus.py check ../shared/videos --shared        # the shared fixtures against corpus_shared.toml

The clips themselves never enter this repository (their footage licences are unknown): `corpus.toml` lists clips
fetched from public repositories (repo, path, commit, sha256), `corpus_shared.toml` the ones in ../shared/videos.
To rebuild a local copy, take each file at its commit from its repository and check it here.
"""

from __future__ import annotations

import argparse
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pipeline.cache import file_sha256

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "corpus.toml"
SHARED_MANIFEST = HERE / "corpus_shared.toml"
SHARED_VIDEOS = HERE.parent.parent / "shared" / "videos"
VIEWS = ("front", "oblique", "side")
EXERCISES = ("squat", "lunge")
KNEE_LABELS = ("good", "cave", "unsure", "n/a")


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
            **{k: v for k, v in c.items() if k not in ("view_also", "reps_also")},
            view_also=tuple(c.get("view_also", ())),
            reps_also=tuple(c.get("reps_also", ())),
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
        if bad or len(clip.sha256) != 64 or len(clip.commit) != 40:
            raise ValueError(f"{path.name} clip {i + 1} ({clip.file}): bad {', '.join(bad) or 'sha256 or commit'}")
        clips.append(clip)
    return clips


def check(folder: Path, clips: list[Clip]) -> tuple[list[Clip], list[str]]:
    """(clips present with the right bytes, one problem line per missing or changed clip)."""
    ok, problems = [], []
    for c in clips:
        f = folder / c.file
        if not f.exists():
            problems.append(f"missing: {c.file} (from {c.repo} {c.path} @ {c.commit[:12]})")
        elif file_sha256(f) != c.sha256:
            problems.append(f"changed: {c.file} does not match its sha256 {c.sha256[:12]}…")
        else:
            ok.append(c)
    return ok, problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["check"])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--shared", action="store_true", help="check against corpus_shared.toml")
    args = ap.parse_args()
    clips = load(SHARED_MANIFEST if args.shared else MANIFEST)
    ok, problems = check(args.folder, clips)
    for p in problems:
        print(p)
    print(f"{len(ok)}/{len(clips)} clips present and unchanged in {args.folder}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
