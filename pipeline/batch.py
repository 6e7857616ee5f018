"""The batch: a folder of videos → one output folder each, plus index.html and summary.csv.

Owns the filesystem and the workers. Each video runs in a worker process, so a crash, a hang (per-video time
limit) or a bad file costs only that video; finished videos are skipped on a re-run unless their input, model
or settings changed; progress and one line per video go to the `echo` callback (the CLI prints them).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import shutil
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import FormReviewError
from pipeline.inputs import VideoInput, find_inputs
from pipeline.job import JobOutcome
from pipeline.pose import BackendPlan
from pipeline.result import Verdict
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.index import IndexEntry

Echo = Callable[[str], None]
_PROGRESS_EVERY = 15  # frames between progress messages from a worker


@dataclass
class BatchSummary:
    outcomes: list[JobOutcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line per reason a file or folder was not read
    index_path: Path | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> list[JobOutcome]:
        return [o for o in self.outcomes if o.status == "error"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def default_jobs(n_videos: int) -> int:
    """One worker per two cores (the model already uses two threads) and per ~2 GB of memory."""
    cores = os.cpu_count() or 1
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem_gb = 4.0
    return max(1, min(cores // 2, int(mem_gb // 2), n_videos))


def _worker(tasks: Any, results: Any, wid: int, settings: Settings, plan: BackendPlan, out_root: Path) -> None:
    """Worker process: run jobs until told to stop; report every outcome, never raise."""
    from pipeline.job import run_job

    _quiet_native_stderr(out_root / f".worker-{wid}.log")
    warm_up(plan)
    parent = os.getppid()
    while True:
        try:
            task = tasks.get(timeout=2)
        except queue.Empty:
            if os.getppid() != parent:  # the batch was killed (kill -9): do not linger as an orphan
                return
            continue
        if task is None:
            return
        video, out_dir, client, label, force = task
        done = [0]

        def progress(n: int, done: list[int] = done) -> None:
            if os.getppid() != parent:
                os._exit(1)  # orphaned mid-video: the staging folder is swept by the next run
            done[0] += n
            if done[0] % _PROGRESS_EVERY < n:
                results.put(("progress", wid, done[0]))

        try:
            outcome = run_job(
                Path(video),
                Path(out_dir),
                settings,
                plan,
                client=client,
                label=label,
                force=force,
                progress=progress,
                on_total=lambda n: results.put(("total", wid, n)),
            )
        except FormReviewError as e:
            outcome = JobOutcome(label, "error", error=e.format_message())
        except Exception as e:  # noqa: BLE001 - one video's unexpected failure must not stop the batch
            _log_traceback(out_root, label)
            outcome = JobOutcome(
                label,
                "error",
                error=f"internal error ({type(e).__name__}: {e}); details in {out_root.name}/errors.log",
            )
        results.put(("done", wid, outcome))


def warm_up(plan: BackendPlan) -> threading.Thread:
    """Import, on a side thread, what a job needs only after its YOLO pass: scipy's filters, peak finder and
    assignment (~0.6 s) and mediapipe (~0.9 s). They load while the first video's YOLO pass runs (OpenVINO and
    the decoder's pipe release the GIL) instead of holding up the worker before it starts or in the middle."""

    def imports() -> None:
        import scipy.ndimage  # noqa: F401
        import scipy.optimize  # noqa: F401
        import scipy.signal  # noqa: F401

        if plan.name in ("hybrid", "mediapipe"):
            from pipeline.pose.mediapipe import import_mediapipe

            with contextlib.suppress(ImportError):  # plan_backend checked it; the job reports it if not
                import_mediapipe()

    thread = threading.Thread(target=imports, name="warm-up", daemon=True)
    thread.start()
    return thread


def _quiet_native_stderr(log: Path) -> None:
    """Send this worker's fd 2 to a log: TFLite and absl print start-up chatter from C++ that no Python setting
    silences, and the coach's terminal should show one line per video, not that."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
    os.environ.setdefault("GLOG_minloglevel", "2")
    import warnings

    warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype", category=UserWarning)


def _log_traceback(out_root: Path, name: str) -> None:
    with (out_root / "errors.log").open("a", encoding="utf-8") as fh:
        fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {name}\n{traceback.format_exc()}\n")


@dataclass
class _Slot:
    proc: Any
    tasks: Any
    video: VideoInput | None = None
    started: float = 0.0
    frames_done: int = 0
    frames_total: int = 0  # from the worker's probe; 0 until it reports


def sweep_stale(out_root: Path) -> None:
    """Delete staging folders (and folders set aside for replacement) that a killed run left, at any depth."""
    for pattern in (".*.partial", ".*.old-*"):
        for stale in out_root.rglob(pattern):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)


def run_batch(
    videos: list[VideoInput],
    out_root: Path,
    settings: Settings,
    plan: BackendPlan,
    *,
    force: bool = False,
    jobs: int = 0,
    echo: Echo = lambda s: None,
    status: Echo | None = None,
) -> BatchSummary:
    """Run every video through `run_job` in worker processes (`process_folder` then writes the index).

    Args:
        videos: the videos to process, in order; each goes to `out_root / video.out_rel`.
        out_root: output folder (created).
        settings, plan: shared by every worker.
        force: redo videos that finished earlier.
        jobs: worker count; 0 = `default_jobs`.
        echo: receives one finished line per video and the summary.
        status: receives a one-line progress status (overwritten in place by a terminal CLI).
    """
    t0 = time.monotonic()
    out_root.mkdir(parents=True, exist_ok=True)
    sweep_stale(out_root)
    summary = BatchSummary()
    n_jobs = jobs or default_jobs(len(videos))
    ctx = mp.get_context("spawn")  # fork after torch/OpenVINO threads exist can deadlock
    results = ctx.Queue()
    pending = list(videos)
    slots: list[_Slot] = []
    timeout = settings.batch.timeout_s

    def start_slot(wid: int) -> _Slot:
        tasks = ctx.Queue()
        proc = ctx.Process(target=_worker, args=(tasks, results, wid, settings, plan, out_root), daemon=True)
        proc.start()
        return _Slot(proc, tasks)

    def finish(outcome: JobOutcome) -> None:
        summary.outcomes.append(outcome)
        echo(_line(outcome, len(summary.outcomes), len(videos)))

    try:
        slots = [start_slot(w) for w in range(min(n_jobs, max(1, len(videos))))]
        while pending or any(s.video for s in slots):
            for slot in slots:
                if slot.video is None and pending:
                    slot.video, slot.started = pending.pop(0), time.monotonic()
                    slot.frames_done = slot.frames_total = 0
                    v = slot.video
                    slot.tasks.put((str(v.path), str(out_root / v.out_rel), v.client, v.label, force))
            try:
                kind, wid, payload = results.get(timeout=0.5)
                slot = slots[wid]
                if kind == "progress":
                    slot.frames_done = payload
                elif kind == "total":
                    slot.frames_total = payload
                elif kind == "done":
                    slot.video = None
                    finish(payload)
            except queue.Empty:
                pass
            for wid, slot in enumerate(slots):
                if slot.video is None:
                    continue
                why = None
                if not slot.proc.is_alive():
                    why = f"the worker stopped unexpectedly (exit code {slot.proc.exitcode}); the video may be corrupt"
                elif timeout and time.monotonic() - slot.started > timeout:
                    why = f"timed out after {timeout:.0f} s (per-video limit: [batch] timeout_s)"
                if why:
                    slot.proc.kill()
                    slot.proc.join(5)
                    finish(JobOutcome(slot.video.label, "error", error=why))
                    slots[wid] = start_slot(wid)
            if status:
                status(_status(slots, summary, len(videos), t0))
    finally:
        for slot in slots:
            if slot.proc.is_alive():
                if slot.video is None:
                    slot.tasks.put(None)
                    slot.proc.join(2)
                if slot.proc.is_alive():
                    slot.proc.kill()
                    slot.proc.join(5)
        sweep_stale(out_root)
    summary.seconds = time.monotonic() - t0
    return summary


def _verdict_word(v: dict[str, Any]) -> str:
    """A verdict (as in result.json) in the progress line: its `Verdict.state`, in words."""
    state = Verdict(**v).state
    return {"context": "for context", "check": "check the video"}.get(state, state)


def _line(o: JobOutcome, k: int, n: int) -> str:
    head = f"[{k}/{n}]"
    if o.status == "error":
        cause = o.error.removeprefix(f"{Path(o.video).name}: ")  # the error names the file already; say it once
        return f"{head} error  {o.video}: {cause}"
    if o.status == "skipped":
        return f"{head} skip   {o.video} (finished earlier; --force redoes it)"
    r = o.result or {}
    verdicts = ", ".join(
        f"{v['label'].lower()} {_verdict_word(v)}"
        for v in r.get("verdicts", [])
        if v.get("measurable") or v.get("unsure")
    )
    reps = len(r.get("reps", []))
    what = f"{r.get('view', '?')} {r.get('exercise', '?')}, {reps} rep{'' if reps == 1 else 's'}"
    return f"{head} ok     {o.video} ({o.processing_s:.1f} s; {what}{'; ' + verdicts if verdicts else ''})"


def _status(slots: list[_Slot], summary: BatchSummary, n: int, t0: float) -> str:
    done = len(summary.outcomes)
    parts = [f"{done}/{n} videos"]
    for s in slots:
        if s.video is not None:
            total = s.frames_total
            pct = f" {min(99, 100 * s.frames_done // max(total, 1))}%" if total else ""
            parts.append(f"{s.video.label}{pct}")
    elapsed = time.monotonic() - t0
    if done:
        eta = elapsed / done * (n - done)
        parts.append(f"ETA {int(eta // 60)}m{int(eta % 60):02d}s")
    return " · ".join(parts)


def index_entries(videos: list[VideoInput], outcomes: list[JobOutcome], out_root: Path) -> list[IndexEntry]:
    """One overview entry per video: its outcome in this run, else what an earlier run left in its folder.

    A video with neither (not analysed yet, e.g. still arriving in a watched folder) is left out.
    """
    import json

    from pipeline.index import IndexEntry
    from pipeline.job import DONE_NAME
    from pipeline.report import SHARE_SUFFIX

    by_label = {o.video: o for o in outcomes}  # JobOutcome.video is the label
    entries = []
    for v in videos:
        folder = out_root / v.out_rel
        o = by_label.get(v.label)
        if o is not None and o.status == "error":
            entries.append(IndexEntry(v.label, "error", error=o.error, client=v.client))
            continue
        result = _result_or_none(o.result if o is not None else None)
        if result is None and (o is not None or (folder / DONE_NAME).exists()):
            try:
                result = _result_or_none(json.loads((folder / "result.json").read_text(encoding="utf-8")))
            except (OSError, ValueError):
                result = None
        if o is None and result is None:
            continue
        thumb = folder / "thumb.jpg"
        share = next(folder.glob(f"*{SHARE_SUFFIX}"), None)
        entries.append(
            IndexEntry(
                video_name=v.label,
                status="ok",
                report_href=f"{v.out_rel.as_posix()}/report.html",
                result=result,
                thumbnail_jpeg=thumb.read_bytes() if thumb.exists() else None,
                processing_s=o.processing_s if o is not None else 0.0,
                client=v.client,
                out_rel=v.out_rel.as_posix(),
                share_href=f"{v.out_rel.as_posix()}/{share.name}" if share else "",
                share_bytes=share.stat().st_size if share else 0,
            )
        )
    return entries


def write_overviews(videos: list[VideoInput], outcomes: list[JobOutcome], out_root: Path, settings: Settings) -> Path:
    """index.html, summary.csv and one page per client, from every video's latest outcome. Returns index.html."""
    from pipeline.index import write_index

    write_index(index_entries(videos, outcomes, out_root), out_root, settings.report, settings.bands)
    return out_root / "index.html"


def process_folder(
    input_dir: Path,
    out_root: Path,
    settings: Settings,
    *,
    force: bool = False,
    jobs: int = 0,
    echo: Echo = lambda s: None,
    status: Echo | None = None,
    cluster: str | None = None,
) -> BatchSummary:
    """The whole `formreview batch`: plan the pose set-up, run every video, write the overviews.

    `cluster`: a Ray address ("auto", "ray://host:10001"); the videos then run there (pipeline/cluster.py).

    Raises:
        PoseError: no pose set-up can run (before any video is touched).
        ClusterError: `cluster` is given and Ray is missing or the cluster cannot run the batch.
    """
    from pipeline.pose import plan_backend

    found = find_inputs(input_dir, settings.batch.extensions, exclude=out_root)
    plan = plan_backend(settings.pose)
    if plan.notice:
        echo(plan.notice)
    for line in found.skip_lines():
        echo(line)
    if cluster:
        from pipeline.cluster import run_cluster_batch

        summary = run_cluster_batch(
            found.videos, out_root, settings, plan, cluster, force=force, jobs=jobs, echo=echo, status=status
        )
    else:
        summary = run_batch(found.videos, out_root, settings, plan, force=force, jobs=jobs, echo=echo, status=status)
    summary.skipped = found.skip_lines()
    summary.index_path = write_overviews(found.videos, summary.outcomes, out_root, settings)
    return summary


def _result_or_none(d: dict | None) -> Any:
    from pipeline.result import ClipResult

    if not d:
        return None
    try:
        return ClipResult.from_dict(d)
    except (KeyError, TypeError, ValueError):
        return None
