"""A second look before a red card, or one that asks for a check: the pose model run again on the clip flipped.

A pose model is not mirror-symmetric. On a real good squat BlazePose drew one leg straight at the bottom in the video
and not in its mirror image, and on rendered squats the knee on one side of the image reads up to 10° further in than
the other, whichever leg it is. A red knee or hip card tells a client "work on this", so it stands only where the
flipped clip reads it red too, or reads one of its red readings past the red line: else the card is amber ("watch")
with the reason. A knee card that asks for a check (a reading red before its error allowance and green after it, or
read past the readable range on one rep) is looked at again the same way: where the flipped look reads that knee
green, the doubt was the model's and the reading is green; else the check stands. A flip costs a second pose pass,
so it is spent only on clips with a red card or a knee card to check.

The flipped track is put back in the clip's own frame (`unflipped`), so both looks name the same legs and are scored
alike; `held` compares their cards and readings, and scoring makes each red that did not hold amber, and each
reading to check whose doubt did not hold green.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pipeline.keypoints import MIRROR, PoseTrack
from pipeline.metrics import MetricSpec
from pipeline.pose import BackendPlan, Progress, estimate_track
from pipeline.result import ClipResult
from pipeline.scoring import confirms, evaluate
from pipeline.settings import Settings
from pipeline.video import VideoInfo

# The cards read from where the knees sit against the feet: what a model's left/right whim can move.
CHECKED_AREAS: tuple[str, ...] = ("knee_tracking", "hip_control")


def red_areas(result: ClipResult) -> list[str]:
    """The `CHECKED_AREAS` whose card is red: what a flipped look must confirm."""
    return [v.area for v in result.verdicts if v.area in CHECKED_AREAS and v.colour == "red"]


def unsure_readings(result: ClipResult) -> list[str]:
    """The knee readings (`MetricValue.unsure`) behind a knee card that asks for a check: what a flipped look may
    clear. Under an amber or red card such a reading changes nothing the card says, so it costs no second look."""
    if not any(v.area == "knee_tracking" and v.unsure for v in result.verdicts):
        return []
    return [m.key for m in result.clip_metrics if m.area == "knee_tracking" and m.unsure]


def second_look_for(result: ClipResult) -> list[str]:
    """What the flipped look is asked about: each red card's area (`red_areas`) and each knee reading to check
    (`unsure_readings`). Empty: no second look."""
    return red_areas(result) + unsure_readings(result)


def unflipped(track: PoseTrack) -> PoseTrack:
    """A track estimated on the flipped frames, back in the clip's own frame: x becomes width - x, boxes likewise, and
    each left keypoint trades places with its right one (the model named the legs as the flipped image shows them,
    so its "left knee" is the client's right knee)."""
    width = float(track.frame_wh[0])
    xy = np.array(track.xy, dtype=np.float32)[:, MIRROR]
    xy[..., 0] = width - xy[..., 0]
    boxes = np.array(track.boxes, dtype=np.float32)
    boxes[:, [0, 2]] = width - boxes[:, [2, 0]]
    conf = np.array(track.conf, dtype=np.float32)[:, MIRROR]
    return replace(track, xy=xy, conf=conf, boxes=boxes, extra={**track.extra, "flipped": True})


def second_look(info: VideoInfo, plan: BackendPlan, settings: Settings, progress: Progress | None = None) -> PoseTrack:
    """The pose model's look at the clip flipped left to right (`VideoInfo.mirrored`), put back in the clip's own
    frame (`unflipped`)."""
    return unflipped(estimate_track(replace(info, mirrored=True), plan, settings, progress))


def held(result: ClipResult, flipped: ClipResult, specs: dict[str, MetricSpec]) -> dict[str, bool]:
    """What the flipped look (`flipped`) says of `second_look_for(result)`, each -> whether it held:
    - a red card's area: held where the flipped look reads the card red too, or confirms one of its red readings
      (`pipeline.scoring.confirms`: the same reading past its red line there too). Both ways count: a model that
      reads the knee on one side of the image further in moves a two-knee cave from one leg to the other between
      the looks, and a reading red by a wide margin in one look may stay past the red line in the other without
      that margin;
    - a knee reading to check, by key: the doubt holds unless the flipped look reads that knee green, measured and
      not itself in doubt."""
    cards = {v.area: v.colour for v in flipped.verdicts}
    theirs = {m.key: m for m in flipped.clip_metrics}
    out = {
        area: cards.get(area) == "red"
        or any(m.area == area and m.colour == "red" and confirms(m, theirs, specs) for m in result.clip_metrics)
        for area in red_areas(result)
    }
    for key in unsure_readings(result):
        m = theirs.get(key)
        out[key] = m is None or m.value is None or m.colour != "green" or m.unsure
    return out


def checked(result: ClipResult, flipped: PoseTrack, settings: Settings, video_name: str) -> dict[str, bool]:
    """`held` for `result` against the flipped look's track (`unflipped`), scored as the clip's own is."""
    return held(result, evaluate(flipped, settings, video_name), settings.metrics)
