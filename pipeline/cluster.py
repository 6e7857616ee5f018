"""The batch on a Ray cluster: each video's `run_job` runs in a Ray actor on some node; OUT stays the driver's.

The driver (the machine that runs `formreview batch --cluster`) reads the videos, keeps the cache keys and the
skip-if-done rule, and is the only writer of OUT. For each video to do it sends the file's bytes (with its client
sidecars and any earlier keypoint cache) to a worker; the worker runs the same `run_job` as a local batch into a
temp folder of its own and sends the finished folder back as a tar, which the driver unpacks beside OUT/<video>
and swaps in atomically. So the nodes need no shared disk, and a worker that dies mid-video leaves nothing in OUT.

Ray does the placing and the retrying: an actor keeps its pose models loaded between videos, a dead actor is
restarted (on another node if its own is gone), and the video it held is tried again there, up to `ATTEMPTS`.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import logging
import os
import shutil
import socket
import tarfile
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.batch import BatchSummary, Echo, _line, sweep_stale
from pipeline.errors import ClusterError, FormReviewError
from pipeline.inputs import VideoInput
from pipeline.job import JobOutcome, is_done, run_key
from pipeline.pose import BackendPlan
from pipeline.settings import Settings

CPUS_PER_WORKER = 2  # the pose models run two threads (pose.worker_cores); Ray reserves that many CPUs per actor
ATTEMPTS = 3  # a video whose worker dies is tried on this many workers in all before it counts as failed
SIDECAR_ENDINGS = (".json", ".txt")  # read by report.client_name_for beside the video: `<stem>.x` and `<name>.x`
INSTALL_HINT = "pip install 'formreview[cluster]' (on the driver and on every node)"


@dataclass(frozen=True)
class Parcel:
    """One video, as the driver sends it to a worker."""

    name: str  # the video's file name; the worker writes the bytes under it, so reports read the same
    client: str  # VideoInput.client and .label, passed on to run_job as a local batch does
    label: str
    video: bytes
    mtime_ns: int  # the file's own: a video without a filming date in its metadata is dated by it (job.recorded_at)
    sidecars: dict[str, bytes]  # client-name files beside the video, by file name
    # OUT/<video>'s keypoint caches from an earlier run, by file name: a settings change need not redo pose
    pose_caches: dict[str, bytes]


@dataclass(frozen=True)
class Delivery:
    """What a worker sends back: the outcome, and the finished folder (a tar of its files) when it is ok."""

    outcome: JobOutcome
    folder_tar: bytes | None = None
    traceback: str = ""  # an unexpected failure's traceback, for OUT/errors.log
    node: str = ""


class VideoWorker:
    """The Ray actor: runs `run_job` on parcels, one at a time. Models stay loaded in the process between videos
    (pose.loaded_yolo is cached per process), which is why this is an actor and not a plain task."""

    def __init__(self, settings: Settings, plan: BackendPlan) -> None:
        os.environ.setdefault("GLOG_minloglevel", "2")  # TFLite/absl start-up chatter; Ray logs it per worker
        self.settings, self.plan = settings, plan
        from pipeline.batch import warm_up

        warm_up(plan)  # while the driver sends the first video

    def check(self) -> tuple[str, str]:
        """(node name, problem or ""): whether this node can run the plan, asked once before any video is sent."""
        weights = self.plan.weights
        if isinstance(weights, Path) and not weights.exists():
            return socket.gethostname(), f"the model {weights} is not on this node (put it at the same path)"
        if self.plan.name in ("hybrid", "mediapipe"):
            import importlib.util

            if importlib.util.find_spec("mediapipe") is None:
                return socket.gethostname(), f"--pose {self.plan.name} needs mediapipe, not installed on this node"
        return socket.gethostname(), ""

    def run(self, parcel: Parcel) -> Delivery:
        """Run one video in a temp folder of this node; never raises for a bad video (its outcome says why)."""
        from pipeline.job import run_job

        node = socket.gethostname()
        with tempfile.TemporaryDirectory(prefix="formreview-") as tmp:
            src, out = Path(tmp, "in"), Path(tmp, "out")
            src.mkdir()
            video = src / parcel.name
            video.write_bytes(parcel.video)
            os.utime(video, ns=(parcel.mtime_ns, parcel.mtime_ns))
            for name, data in parcel.sidecars.items():
                (src / name).write_bytes(data)
            if parcel.pose_caches:
                out.mkdir()
            for name, data in parcel.pose_caches.items():
                (out / name).write_bytes(data)
            try:
                outcome = run_job(video, out, self.settings, self.plan, client=parcel.client, label=parcel.label)
            except FormReviewError as e:
                return Delivery(JobOutcome(parcel.label, "error", error=e.format_message()), node=node)
            except Exception as e:  # noqa: BLE001 - one video's unexpected failure must not stop the batch
                failed = JobOutcome(parcel.label, "error", error=f"internal error ({type(e).__name__}: {e})")
                return Delivery(failed, traceback=traceback.format_exc(), node=node)
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w") as tar:  # uncompressed: mp4/npz/jpg are compressed already
                tar.add(out, arcname=".")
            return Delivery(dataclasses.replace(outcome, out_dir=""), buf.getvalue(), node=node)


def connect(address: str, **ray_init: Any) -> Any:
    """Join the cluster at `address` and return the `ray` module.

    "auto": the head `ray start --head` started on this machine (or $RAY_ADDRESS), else a new local one for this
    run; "local": always a new local one; "ray://host:10001": a remote head through Ray Client. The driver's own
    `pipeline` package goes to the workers, so every node runs the driver's code; the nodes need its dependencies
    installed. `ray_init`: more `ray.init` options (a test's head: num_cpus=2).

    Raises:
        ClusterError: Ray is not installed, or the cluster cannot be reached.
    """
    try:
        import ray
    except ImportError:
        raise ClusterError(f"--cluster needs Ray, which is not installed: {INSTALL_HINT}") from None
    if ray.is_initialized():  # a caller (tests, a notebook) connected already: use that cluster
        return ray
    package = _package_for_workers()
    try:
        ray.init(
            address=None if address == "auto" else address,
            runtime_env={"py_modules": [str(package)], "env_vars": {"GLOG_minloglevel": "2"}},
            include_dashboard=False,
            log_to_driver=False,  # workers' stderr (TFLite chatter) stays in Ray's logs, not the coach's terminal
            logging_level=logging.ERROR,  # Ray's start-up notices are not the coach's business; its errors are
            **ray_init,
        )
    except (ConnectionError, RuntimeError, ValueError) as e:
        hint = ""
        if address.startswith("ray://"):  # Ray ≥ 2.59 heads want a token, and a client without one just times out
            hint = "; is port 10001 reachable, and RAY_AUTH_MODE=token with the cluster's RAY_AUTH_TOKEN set here?"
        raise ClusterError(f"cannot join the Ray cluster at {address!r}: {e}{hint}") from None
    finally:
        shutil.rmtree(package.parent, ignore_errors=True)  # Ray has uploaded its own copy by now
    return ray


def _package_for_workers() -> Path:
    """A copy of the `pipeline` package with its templates and configs inside (as in a wheel), for Ray to upload.

    A source checkout keeps them beside the package, where a worker's copy would not find them.
    """
    import pipeline
    from pipeline.resources import data_dir

    src = Path(pipeline.__file__).parent
    dst = Path(tempfile.mkdtemp(prefix="formreview-pkg-")) / "pipeline"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("templates", "configs"):
        if not (dst / "_data" / name).is_dir():
            shutil.copytree(data_dir(name), dst / "_data" / name)
    return dst


def run_cluster_batch(
    videos: list[VideoInput],
    out_root: Path,
    settings: Settings,
    plan: BackendPlan,
    address: str,
    *,
    force: bool = False,
    jobs: int = 0,
    echo: Echo = lambda s: None,
    status: Echo | None = None,
) -> BatchSummary:
    """`batch.run_batch` on a Ray cluster: same outcomes, lines and summary; OUT written by this process only.

    Args:
        address: "auto" or a Ray address (see `connect`).
        jobs: workers (actors) across the cluster; 0 or more than it has room for = one per `CPUS_PER_WORKER`
            CPUs the cluster has now.
        The rest as in `run_batch`.

    Raises:
        ClusterError: Ray is missing, the cluster cannot be reached, or a node cannot run the plan.
    """
    t0 = time.monotonic()
    out_root.mkdir(parents=True, exist_ok=True)
    sweep_stale(out_root)  # left by a killed driver
    # the cluster's --jobs counts actors over all nodes; inside one the models take the node's cores as with
    # automatic --jobs (the run key ignores [batch], so this changes no key)
    settings = dataclasses.replace(settings, batch=dataclasses.replace(settings.batch, jobs=0))
    summary = BatchSummary()

    def finish(outcome: JobOutcome) -> None:
        summary.outcomes.append(outcome)
        echo(_line(outcome, len(summary.outcomes), len(videos)))

    def progress(running: list[VideoInput]) -> None:
        if status:
            status(_status(running, len(summary.outcomes), len(videos), t0))

    def to_do() -> Iterator[tuple[VideoInput, str]]:
        """1. The skip rule, here: a finished video costs a hash, not a trip to the cluster. Lazily, so that a
        long backlog's hashing overlaps the cluster's work instead of delaying its start."""
        for v in videos:
            try:
                key = run_key(_sha256(v.path), plan, settings)[1]
            except OSError as e:
                finish(JobOutcome(v.label, "error", error=f"cannot read the video ({e.strerror or e})"))
                continue
            if not force and is_done(out_root / v.out_rel, key):
                finish(JobOutcome(v.label, "skipped", out_dir=str(out_root / v.out_rel)))
            else:
                yield v, key

    todo = to_do()
    first = next(todo, None)
    if first is not None:  # a re-run with everything done never starts or joins a cluster
        ray = connect(address)
        at_most = len(videos) - len(summary.outcomes)  # no more workers than videos that may need one
        todo = itertools.chain([first], todo)
        _run_on_cluster(ray, todo, out_root, settings, plan, min(jobs or at_most, at_most), finish, progress)
    summary.seconds = time.monotonic() - t0
    return summary


def _run_on_cluster(
    ray: Any,
    todo: Iterator[tuple[VideoInput, str]],
    out_root: Path,
    settings: Settings,
    plan: BackendPlan,
    jobs: int,
    finish: Callable[[JobOutcome], None],
    progress: Callable[[list[VideoInput]], None],
) -> None:
    """2. Start the actors, hand each free one the next video, take finished folders in as they come.

    `jobs`: how many actors at most; no more than the cluster has CPUs for now, since an actor that cannot be
    placed would hold its videos until a node joins.
    """
    cluster_cpus = int(ray.cluster_resources().get("CPU", 1))
    cpus = max(1, min(CPUS_PER_WORKER, cluster_cpus))
    n_workers = max(1, min(jobs, cluster_cpus // cpus))
    actor_class = ray.remote(num_cpus=cpus, max_restarts=-1, max_task_retries=ATTEMPTS - 1)(VideoWorker)
    # by value, not ray.put: a restarted actor needs its arguments again, and small ones live in the actor's spec
    workers = [actor_class.remote(settings, plan) for _ in range(n_workers)]
    problems = {f"{node}: {why}" for node, why in ray.get([w.check.remote() for w in workers]) if why}
    if problems:
        raise ClusterError("a node cannot run this batch: " + "; ".join(sorted(problems)))
    timeout = settings.batch.timeout_s
    idle = list(workers)
    running: dict[Any, tuple[Any, VideoInput, str, float]] = {}  # result ref → (actor, video, key, started)
    try:
        while True:
            while idle and (task := next(todo, None)):
                video, key = task
                actor = idle.pop()
                running[actor.run.remote(_parcel(video, out_root))] = (actor, video, key, time.monotonic())
            if not running:  # all handed out and taken in
                break
            ready, _ = ray.wait(list(running), num_returns=1, timeout=0.5)
            for ref in ready:
                actor, video, key, _started = running.pop(ref)
                idle.append(actor)
                finish(_take_in(ray, ref, video, key, out_root))
            for ref, (actor, video, _key, started) in list(running.items()):
                if timeout and time.monotonic() - started > timeout:  # stop the work; a fresh actor takes its place
                    del running[ref]
                    ray.kill(actor, no_restart=True)
                    idle.append(actor_class.remote(settings, plan))
                    finish(
                        JobOutcome(
                            video.label,
                            "error",
                            error=f"timed out after {timeout:.0f} s (per-video limit: [batch] timeout_s)",
                        )
                    )
            progress([v for _, v, _, _ in running.values()])
    finally:
        for w in workers + idle:
            ray.kill(w, no_restart=True)
        sweep_stale(out_root)


def _parcel(v: VideoInput, out_root: Path) -> Parcel:
    from pipeline.cache import CACHE_NAMES

    sidecars = {}
    for ending in SIDECAR_ENDINGS:
        for side in (v.path.with_suffix(ending), v.path.with_name(v.path.name + ending)):
            if side.is_file():
                sidecars[side.name] = side.read_bytes()
    caches = [out_root / v.out_rel / name for name in CACHE_NAMES]
    pose_caches = {c.name: c.read_bytes() for c in caches if c.is_file()}
    data, mtime_ns = v.path.read_bytes(), v.path.stat().st_mtime_ns
    return Parcel(v.path.name, v.client, v.label, data, mtime_ns, sidecars, pose_caches)


def _take_in(ray: Any, ref: Any, video: VideoInput, key: str, out_root: Path) -> JobOutcome:
    """3. One worker's answer → its outcome; a finished folder is unpacked beside OUT/<video> and swapped in."""
    from pipeline.job import _swap_in

    try:
        delivery: Delivery = ray.get(ref)
    except ray.exceptions.RayActorError:
        return JobOutcome(
            video.label,
            "error",
            error=f"the worker stopped unexpectedly on each of {ATTEMPTS} tries; the video may be corrupt",
        )
    except ray.exceptions.RayError as e:
        return JobOutcome(video.label, "error", error=f"the cluster lost this video ({type(e).__name__})")
    outcome = delivery.outcome
    if delivery.traceback:
        _log_traceback(out_root, video.label, delivery.node, delivery.traceback)
        return dataclasses.replace(outcome, error=f"{outcome.error}; details in {out_root.name}/errors.log")
    if outcome.status != "ok" or delivery.folder_tar is None:
        return outcome
    final = out_root / video.out_rel
    final.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(delivery.folder_tar)) as tar:
            tar.extractall(stage, filter="data")
        if not is_done(stage, key):  # another version or settings on the node: its result would never be reused
            raise ClusterError(
                f"{video.label}: the worker's run key differs from the driver's; is every node on formreview "
                "with the same model path and settings?"
            )
        _swap_in(stage, final)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return dataclasses.replace(outcome, out_dir=str(final))


def _sha256(video: Path) -> str:
    from pipeline.cache import file_sha256

    return file_sha256(video)


def _log_traceback(out_root: Path, name: str, node: str, text: str) -> None:
    with (out_root / "errors.log").open("a", encoding="utf-8") as fh:
        fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {name} (on {node})\n{text}\n")


def _status(running: list[VideoInput], done: int, n: int, t0: float) -> str:
    """The local batch's status line, less the per-video percentages (each would cost a call to a busy actor)."""
    parts = [f"{done}/{n} videos", *(v.label for v in running)]
    elapsed = time.monotonic() - t0
    if done:
        eta = elapsed / done * (n - done)
        parts.append(f"ETA {int(eta // 60)}m{int(eta % 60):02d}s")
    return " · ".join(parts)
