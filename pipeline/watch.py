"""`formreview watch`: analyse each video in a folder once it has finished arriving, and keep the overviews current.

Same discovery, outputs and cache as `batch` (it runs `run_batch` and `write_overviews`). A video is ready once its
size and modification time have held for `settle_s` and it is a whole file (`video.looks_whole`, then `probe`);
until then it is waited for, never failed. A file that stays unreadable for `give_up_s` after it stopped changing
goes to the batch anyway, which reports why in one line: a broken file is not waited on silently for ever.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.batch import BatchSummary, Echo, run_batch, sweep_stale, write_overviews
from pipeline.errors import VideoError
from pipeline.inputs import VideoInput, find_inputs
from pipeline.job import JobOutcome
from pipeline.settings import Settings

Runner = Callable[..., BatchSummary]  # run_batch's signature; tests pass a recorder


@dataclass
class _Arrival:
    """A video seen in the folder: its last (size, mtime) and since when it has held still."""

    sig: tuple[int, int]
    since: float
    told_waiting: bool = False


@dataclass
class WatchState:
    """What the watcher knows: what is arriving, what was analysed (by label, with the file's signature then)."""

    arriving: dict[str, _Arrival] = field(default_factory=dict)
    analysed: dict[str, tuple[int, int]] = field(default_factory=dict)
    outcomes: dict[str, JobOutcome] = field(default_factory=dict)


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None  # gone again (a temp file, a move)
    return st.st_size, st.st_mtime_ns


def _whole(path: Path) -> bool:
    from pipeline.video import looks_whole, probe

    if not looks_whole(path):
        return False
    try:
        probe(path)
    except VideoError:
        return False
    return True


def ready_videos(
    videos: Iterable[VideoInput], state: WatchState, now: float, settle_s: float, give_up_s: float, echo: Echo
) -> list[VideoInput]:
    """The videos to analyse now: new or changed since analysed, still for `settle_s`, and whole (or stuck)."""
    ready = []
    for v in videos:
        sig = _signature(v.path)
        if sig is None or state.analysed.get(v.label) == sig:
            continue
        seen = state.arriving.get(v.label)
        if seen is None or seen.sig != sig:
            state.arriving[v.label] = _Arrival(sig, now)
            continue
        if now - seen.since < settle_s:
            continue
        if _whole(v.path) or now - seen.since >= give_up_s:
            ready.append(v)
        elif not seen.told_waiting:
            echo(f"waiting   {v.label}: not a whole video yet (still copying?)")
            seen.told_waiting = True
    return ready


def watch_folder(
    input_dir: Path,
    out_root: Path,
    settings: Settings,
    *,
    force: bool = False,
    jobs: int = 0,
    echo: Echo = lambda s: None,
    status: Echo | None = None,
    stop: threading.Event | None = None,
    settle_s: float = 2.0,
    give_up_s: float = 120.0,
    run: Runner = run_batch,
) -> WatchState:
    """Watch `input_dir` until `stop` is set (or KeyboardInterrupt): analyse each video once it has arrived.

    Overviews (index.html, summary.csv, client pages) are rewritten after each round of videos, and once more on
    the way out. Stopping mid-video leaves no half output: run_batch kills its workers and removes their staging
    folders, and a restart picks up where it stopped (finished videos are skipped by their done.json).

    Raises:
        PoseError: no pose set-up can run (before any video is touched).
    """
    import watchfiles

    from pipeline.pose import plan_backend

    plan = plan_backend(settings.pose)
    if plan.notice:
        echo(plan.notice)
    stop = stop or threading.Event()
    state = WatchState()
    out_root.mkdir(parents=True, exist_ok=True)
    sweep_stale(out_root)
    told: set[str] = set()
    found = find_inputs(input_dir, settings.batch.extensions, exclude=out_root)
    echo(f"watching {input_dir} (Ctrl-C to stop); reports in {out_root}")
    tick_ms = max(50, int(settle_s * 1000 / 2))
    try:
        for _ in _ticks(watchfiles, input_dir, stop, tick_ms):
            found = find_inputs(input_dir, settings.batch.extensions, exclude=out_root)
            for line in found.skip_lines():
                if line not in told:  # say each skip once, not on every tick
                    told.add(line)
                    echo(line)
            ready = ready_videos(found.videos, state, time.monotonic(), settle_s, give_up_s, echo)
            if not ready:
                continue
            sigs = {v.label: _signature(v.path) for v in ready}
            summary = run(ready, out_root, settings, plan, force=force, jobs=jobs, echo=echo, status=status)
            for o in summary.outcomes:
                state.outcomes[o.video] = o
                sig = sigs.get(o.video)
                if sig is not None:
                    state.analysed[o.video] = sig
                state.arriving.pop(o.video, None)
            force = False  # --force redoes what was there at the start, not every later arrival
            write_overviews(found.videos, list(state.outcomes.values()), out_root, settings)
            if stop.is_set():
                break
    finally:
        if state.outcomes:
            write_overviews(found.videos, list(state.outcomes.values()), out_root, settings)
    return state


def _ticks(watchfiles: Any, folder: Path, stop: threading.Event, tick_ms: int) -> Iterable[object]:
    """One item at once (to pick up what is already there), then one per change or per `tick_ms` of quiet: the
    size of a file being copied must be looked at again after it stops changing, which raises no event."""
    yield None
    if stop.is_set():
        return
    yield from watchfiles.watch(
        folder, stop_event=stop, rust_timeout=tick_ms, yield_on_timeout=True, debounce=tick_ms, step=min(50, tick_ms)
    )
