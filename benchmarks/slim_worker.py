"""What a slim cluster node needs: run one clip's job with torch, torchvision and ultralytics made unimportable,
then list the installed distributions whose modules the job loaded, with their sizes on disk.

    python benchmarks/slim_worker.py --model ../shared/models/yolov8n-pose_int8_openvino_model [CLIP]

It runs `run_job` as a cluster worker does (hybrid set-up, the OpenVINO export run by OpenVINO itself). If the job
finishes, a node without torch can do the work; the sizes say what an image built from only the loaded
distributions would hold, against the whole `formreview[cluster]` install. Sizes are the installed files listed
in each distribution's RECORD (what a Docker layer would carry), not the download.
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.metadata as md
import os
import re
import sys
import tempfile
from pathlib import Path

from packaging.requirements import Requirement

BLOCKED = ("torch", "torchvision", "ultralytics")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's pipeline, not an installed one


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def size_mb(dist: md.Distribution) -> float:
    total = 0
    for f in dist.files or []:
        try:
            total += os.path.getsize(dist.locate_file(f))
        except OSError:
            pass
    return total / 2**20


def declared_closure(root: str, extras: set[str]) -> set[str]:
    """The distributions pip installs for `root[extras]` (markers evaluated here)."""
    seen: dict[str, set[str]] = {}
    stack = [(root, extras)]
    while stack:
        name, ex = stack.pop()
        key = norm(name)
        if key in seen and ex <= seen[key]:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        seen[key] = seen.get(key, set()) | ex
        for r in dist.requires or []:
            req = Requirement(r)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in (ex or {""})):
                stack.append((req.name, set(req.extras)))
    return set(seen)


class Blocker(importlib.abc.MetaPathFinder):
    """An import finder that refuses BLOCKED (not sys.modules[name] = None: scipy looks there for torch)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not installed on this (simulated slim) node")
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clip", nargs="?", type=Path, default=ROOT / "sample_videos" / "squat_front_good.mp4")
    ap.add_argument("--model", type=Path, required=True)
    a = ap.parse_args()
    sys.meta_path.insert(0, Blocker())  # `import torch` now raises ImportError, as on a node without it

    from pipeline.job import run_job
    from pipeline.pose import plan_backend
    from pipeline.settings import load_settings

    settings = load_settings(None, pose__model=str(a.model))
    plan = plan_backend(settings.pose)
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_job(a.clip, Path(tmp) / "out", settings, plan)
    print(f"job with {', '.join(BLOCKED)} unimportable: {outcome.status} ({plan.name}, {outcome.processing_s:.1f} s)")

    owner: dict[str, str] = {}  # top-level module → distribution
    for dist in md.distributions():
        for f in dist.files or []:
            top = f.parts[0].removesuffix(".py") if f.parts else ""
            if top and not top.endswith((".dist-info", ".data")):
                owner.setdefault(top, dist.metadata["Name"])
    loaded = {owner[m.split(".")[0]] for m in list(sys.modules) if m.split(".")[0] in owner}
    loaded.discard("formreview")
    sizes = {n: size_mb(md.distribution(n)) for n in loaded}
    full = declared_closure("formreview", {"cluster"}) - {"formreview"}
    full_mb = sum(size_mb(md.distribution(n)) for n in full)
    print(f"distributions the job loaded: {len(loaded)}, {sum(sizes.values()):.0f} MB on disk:")
    print("  " + ", ".join(f"{n} {s:.0f}" for n, s in sorted(sizes.items(), key=lambda x: -x[1])))
    print(f"the whole formreview[cluster] install: {len(full)} distributions, {full_mb:.0f} MB")
    slim = {norm(n) for n in loaded} | declared_closure("ray", {"client"})  # a worker needs Ray, not loaded here
    slim_mb = sum(size_mb(md.distribution(n)) for n in slim)
    print(f"a slim worker (what the job loaded + ray[client]): {len(slim)} distributions, {slim_mb:.0f} MB")
    print("  left out: " + ", ".join(sorted(full - slim, key=lambda n: -size_mb(md.distribution(n)))[:12]) + " …")


if __name__ == "__main__":
    main()
