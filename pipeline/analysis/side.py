"""Side-view metrics: depth (thigh to horizontal, hip below knee), knee flexion, trunk inclination.

Pure numpy on (T, 2) image px arrays, y down. Use the leg nearer the camera (fewer missing points).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pipeline.analysis.geometry import angle_at_deg, tilt_from_horizontal_deg, tilt_from_vertical_deg

F64 = npt.NDArray[np.float64]


def thigh_to_horizontal_deg(hip: F64, knee: F64) -> F64:
    """Thigh angle to horizontal, + while the hip is above the knee; ≤ 0 is parallel or below. (T, 2) px."""
    return tilt_from_horizontal_deg(knee, hip)


def hip_below_knee(hip: F64, knee: F64) -> npt.NDArray[np.bool_]:
    """True where the hip is lower on screen than the knee. (T, 2) px → (T,) bool (False where missing)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(hip)[..., 1] > np.asarray(knee)[..., 1]


def knee_flexion_deg(hip: F64, knee: F64, ankle: F64) -> F64:
    """180° − ∠(hip, knee, ankle): 0 straight, 90 at a right angle. (T, 2) px → (T,) degrees."""
    return 180.0 - angle_at_deg(hip, knee, ankle)


def trunk_incline_deg(hip: F64, shoulder: F64) -> F64:
    """Unsigned angle of hip→shoulder from vertical, degrees (forward lean in a side view). (T, 2) px."""
    return np.abs(tilt_from_vertical_deg(hip, shoulder))
