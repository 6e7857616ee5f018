"""A pinhole camera on a circle around the mannequin, looking at it: the shared geometry of truth and render.

World frame (metres): x = the person's left, y = up, z = forward (toward a front camera); the person stands
at the origin facing +z. Image frame: pixels, x right, y down, (0, 0) the top-left corner of the top-left pixel.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Camera:
    """A level-ish pinhole camera `distance_m` from the person, yawed toward their left by `yaw_deg`.

    Attributes:
        yaw_deg: 0 = square-on front, 30/45 = oblique, 90 = side (the camera on the person's left).
        distance_m: horizontal distance from the person (the world origin).
        height_m: camera height above the floor.
        W: image width, px.
        H: image height, px.
        vfov_deg: vertical field of view.
        target_h_m: height of the point looked at, at the origin; None = look level (no pitch).
    """

    yaw_deg: float = 0.0
    distance_m: float = 2.8
    height_m: float = 1.0
    W: int = 360
    H: int = 640
    vfov_deg: float = 48.0
    target_h_m: float | None = 0.85

    @property
    def view(self) -> str:
        """'front', 'oblique' or 'side' (by |yaw|: < 20°, < 70°, else)."""
        a = abs((self.yaw_deg + 180.0) % 360.0 - 180.0)
        a = min(a, 180.0 - a)
        return "front" if a < 20 else "oblique" if a < 70 else "side"

    @property
    def pitch_deg(self) -> float:
        """Downward tilt of the optical axis, degrees (+ = looking down toward the body's `target_h_m`)."""
        return float(np.degrees(-np.arcsin(self.basis[2][1])))

    @cached_property
    def position(self) -> F64:
        """(3,) camera centre, world metres."""
        a = np.radians(self.yaw_deg)
        return np.array([self.distance_m * np.sin(a), self.height_m, self.distance_m * np.cos(a)])

    @cached_property
    def basis(self) -> tuple[F64, F64, F64]:
        """(right, up, forward) unit (3,) vectors: image right, image up, viewing direction."""
        th = self.height_m if self.target_h_m is None else self.target_h_m
        fwd = np.array([0.0, th, 0.0]) - self.position
        fwd /= np.linalg.norm(fwd)
        right = np.cross(fwd, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        return right, np.cross(right, fwd), fwd

    @cached_property
    def focal_px(self) -> float:
        """Focal length in pixels (square pixels)."""
        return float(self.H / 2 / np.tan(np.radians(self.vfov_deg) / 2))

    def project(self, points: npt.ArrayLike) -> F64:
        """World points to image pixels.

        Args:
            points: (..., 3) world metres, in front of the camera.

        Returns:
            (..., 2) float64 pixels (x right, y down).
        """
        rel = np.asarray(points, np.float64) - self.position
        right, up, fwd = self.basis
        z = rel @ fwd
        f = self.focal_px
        return np.stack([self.W / 2 + f * (rel @ right) / z, self.H / 2 - f * (rel @ up) / z], -1)

    def depth(self, points: npt.ArrayLike) -> F64:
        """(...,) distance of `points` (..., 3) along the viewing direction, metres."""
        return (np.asarray(points, np.float64) - self.position) @ self.basis[2]

    def rays(self, ss: int = 1) -> F64:
        """Unit ray directions through pixel centres of an `ss`× supersampled image.

        Returns:
            (H*ss, W*ss, 3) float64 world directions.
        """
        right, up, fwd = self.basis
        f = self.focal_px * ss
        xs = (np.arange(self.W * ss) + 0.5 - self.W * ss / 2) / f
        ys = -(np.arange(self.H * ss) + 0.5 - self.H * ss / 2) / f
        d = fwd + xs[None, :, None] * right + ys[:, None, None] * up
        return d / np.linalg.norm(d, axis=-1, keepdims=True)

    def to_dict(self) -> dict[str, float | int | str | None]:
        """JSON-ready description (for truth files)."""
        return {
            "yaw_deg": self.yaw_deg,
            "distance_m": self.distance_m,
            "height_m": self.height_m,
            "W": self.W,
            "H": self.H,
            "vfov_deg": self.vfov_deg,
            "target_h_m": self.target_h_m,
            "focal_px": self.focal_px,
            "pitch_deg": self.pitch_deg,
            "view": self.view,
        }
