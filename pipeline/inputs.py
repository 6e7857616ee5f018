"""What the coach gave: the videos under an input folder, each with its client, and what was skipped and why.

A video directly in the folder has no client; a video in a sub-folder belongs to the client named by the first
sub-folder (`clients/anna/week 2/squat.mp4` → client "anna"). Reads the folder tree only; writes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

SIDECARS = (".json", ".txt", ".md")  # expected beside videos (client names, truth files): not worth a notice

# why a path was skipped, in the words of the one summary line each reason gets
SKIP_REASONS = {
    "appledouble": "macOS resource files (names starting '._', left by copying from a Mac)",
    "hidden": "hidden (name starts with '.')",
    "not_video": "not videos by their ending",
    "broken_link": "links to a file or folder that no longer exists",
    "loop": "folder links to a folder already searched (a loop, or a second way in)",
    "unreadable": "folders that could not be read",
    "output": "the output folder, which sits inside the input folder",
}


@dataclass(frozen=True)
class VideoInput:
    """One video found under the input folder.

    Attributes:
        path: the file as found (it may be a symlink).
        client: the client's folder name; "" for a video directly in the input folder.
        out_rel: its output folder, relative to the output root: `<client>/<sub-folders>/<video name>`, each part
            made safe for a file name.
        label: the video as the coach sees it in lines and pages, relative to the input folder ("anna/squat.mp4").
    """

    path: Path
    client: str
    out_rel: Path
    label: str


@dataclass
class FoundInputs:
    videos: list[VideoInput] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason key (SKIP_REASONS) → relative paths

    def skip_lines(self) -> list[str]:
        """One line per reason: how many, why, and the first few names."""
        lines = []
        for reason, items in self.skipped.items():
            shown = ", ".join(items[:3]) + (" …" if len(items) > 3 else "")
            lines.append(f"skipped {len(items)}: {SKIP_REASONS[reason]} ({shown})")
        return lines


def safe_name(name: str) -> str:
    """A file or folder name made safe: no separators, no leading dot or dash."""
    safe = "".join(c if c.isalnum() or c in "-_.() " else "_" for c in name).strip()
    return safe.lstrip(".-") or "video"


def find_inputs(folder: Path, extensions: tuple[str, ...], exclude: Path | None = None) -> FoundInputs:
    """Every video under `folder`, sorted by path, following folder links but never round a loop.

    Args:
        folder: the input folder.
        extensions: file endings counted as videos (case-insensitive).
        exclude: a folder never searched (the output folder, when it sits inside the input folder).
    """
    exts = {e.lower() for e in extensions}
    found = FoundInputs()
    skip_to = found.skipped
    excluded = exclude.resolve() if exclude is not None else None

    def skip(reason: str, rel: str) -> None:
        skip_to.setdefault(reason, []).append(rel)

    searched = {folder.resolve()}  # real paths: a folder reached twice (a loop, or two links to it) is searched once

    def walk(d: Path, rel: tuple[str, ...]) -> None:
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            skip("unreadable", "/".join(rel) or ".")
            return
        for e in entries:
            here = "/".join((*rel, e.name))
            p = Path(e.path)
            if e.name.startswith("._"):
                skip("appledouble", here)
            elif e.name.startswith("."):
                skip("hidden", here)
            elif e.is_dir(follow_symlinks=True):
                real = p.resolve()
                if real == excluded:
                    skip("output", here)
                elif real in searched:
                    skip("loop", here)
                else:
                    searched.add(real)
                    walk(p, (*rel, e.name))
            elif e.is_file(follow_symlinks=True):
                if p.suffix.lower() in exts:
                    found.videos.append(_video_input(p, (*rel, e.name)))
                elif not e.name.lower().endswith(SIDECARS):
                    skip("not_video", here)
            elif e.is_symlink():
                skip("broken_link", here)

    walk(folder, ())
    return found


def _video_input(path: Path, rel: tuple[str, ...]) -> VideoInput:
    client = rel[0] if len(rel) > 1 else ""
    out_rel = Path(*(safe_name(p) for p in rel))
    return VideoInput(path, client, out_rel, "/".join(rel))
