"""Keypoint cache: the client's raw `PoseTrack` saved beside the report as `keypoints.npz` (and, for a clip with a red
card, the pose model's second look at it flipped left to right as `keypoints_flipped.npz`: `pipeline.mirror`).

Keyed by the video's sha256, the pose set-up and the pose/track settings, so a re-run re-renders the report
without re-running the model unless one of those changed. Written atomically (temp file + rename).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from pipeline.files import write_atomic
from pipeline.keypoints import PoseTrack

CACHE_NAME = "keypoints.npz"
FLIP_CACHE_NAME = "keypoints_flipped.npz"
CACHE_NAMES = (CACHE_NAME, FLIP_CACHE_NAME)
CACHE_VERSION = 1


def file_sha256(path: Path) -> str:
    """Full sha256 of a file, streamed (about 1 GB/s; cheap next to decoding)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cache_key(video_sha256: str, backend: str, weights_id: str, settings_digest: str) -> str:
    """One string that changes when the video, the model set-up or the relevant settings change."""
    raw = json.dumps([CACHE_VERSION, video_sha256, backend, weights_id, settings_digest])
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def save_track(path: Path, track: PoseTrack, key: str, pose: str = "") -> None:
    """Write `track` to `path` atomically; `pose` names the pose stage that made it ("hybrid/v7"), for tools that read
    keypoints without the key (the benchmarks)."""
    meta = {
        "key": key,
        "pose": pose,
        "frame_wh": list(track.frame_wh),
        "fps": [track.fps.numerator, track.fps.denominator],
        "backend": track.backend,
        "model_id": track.model_id,
        "note": track.note,
        "extra": track.extra,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez_compressed(
        buf, t_s=track.t_s, xy=track.xy, conf=track.conf, boxes=track.boxes, meta=np.array(json.dumps(meta))
    )
    write_atomic(path, buf.getvalue())


def read_track(path: Path) -> tuple[PoseTrack, str]:
    """The track stored in `path` and its cache key, whatever the key. Raises OSError/ValueError/KeyError."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        track = PoseTrack(
            t_s=z["t_s"],
            xy=z["xy"],
            conf=z["conf"],
            boxes=z["boxes"],
            frame_wh=(int(meta["frame_wh"][0]), int(meta["frame_wh"][1])),
            fps=Fraction(*meta["fps"]),
            backend=meta["backend"],
            model_id=meta["model_id"],
            note=meta["note"],
            extra=meta["extra"],
        )
    return track, str(meta.get("key", ""))


def track_pose(path: Path) -> str:
    """The pose stage `save_track` recorded ("hybrid/v7"); "" when the file predates the record or is unreadable."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return str(json.loads(str(z["meta"])).get("pose", ""))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, json.JSONDecodeError):
        return ""


def load_track(path: Path, key: str) -> PoseTrack | None:
    """The cached track if `path` holds one for `key`; None when absent, stale or unreadable."""
    try:
        track, stored = read_track(path)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, json.JSONDecodeError):
        return None
    return track if stored == key else None
