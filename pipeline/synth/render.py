"""Vectorised numpy ray-caster that draws the mannequin: clothed, shaded, anti-aliased, in a room with a shadow.

Reads joint positions (`kinematics`) and a `Camera`; returns BGR uint8 frames. Each primitive of `figure` is
ray-tested only inside the screen box of its two bounding spheres; the nearest hit per pixel wins and is shaded
once afterwards (key + fill + sky light, a little rim and specular). The frame is rendered at `ss`× the output
size and box-filtered down (anti-aliasing), in linear light, then gamma-encoded. The room (floor, wall) is cached
per camera and background; the contact shadow is recomputed per frame on a coarse grid.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

from pipeline.synth.camera import Camera
from pipeline.synth.figure import BACKGROUNDS, SKIN_TONES, Look, Planes, Prim, build_figure, hit, normals
from pipeline.synth.kinematics import J

__all__ = ["BACKGROUNDS", "SKIN_TONES", "Look", "render"]

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]
WALL_BEHIND_M = 1.8
LIGHT = np.array([-0.45, 0.80, 0.75]) / np.linalg.norm([-0.45, 0.80, 0.75])
SHADOW_LIGHT = np.array([-0.25, 1.0, 0.35]) / np.linalg.norm([-0.25, 1.0, 0.35])
FILL = np.array([0.70, 0.30, 0.60]) / np.linalg.norm([0.70, 0.30, 0.60])
# gamma encoding as a lookup on 14-bit linear light (np.power on every pixel costs more than the ray tests)
_GAMMA_BITS = 14
_GAMMA = np.round(255 * np.linspace(0, 1, 1 << _GAMMA_BITS) ** (1 / 2.2)).astype(np.uint8)


def _bbox(cam: Camera, p: Prim, ss: int) -> tuple[int, int, int, int]:
    """Screen box (x0, x1, y0, y1) in supersampled pixels that contains the primitive's projection.

    The primitive lies in the convex hull of its two bounding spheres, and perspective maps convex hulls to
    convex hulls, so the union of the two projected discs' boxes (widened 25 % for off-axis stretch) holds it.
    """
    uv = cam.project(p.ends) * ss
    z = np.maximum(cam.depth(p.ends) - p.rad, 1e-3)
    r = 1.25 * cam.focal_px * ss * p.rad / z + 1.0
    x0, y0 = np.floor((uv - r[:, None]).min(0)).astype(int)
    x1, y1 = np.ceil((uv + r[:, None]).max(0)).astype(int)
    return max(x0, 0), min(x1, cam.W * ss), max(y0, 0), min(y1, cam.H * ss)


def _noise(p: F64, scale: float, seed: int, n: int = 10) -> F64:
    """Smooth deterministic pattern in [-1, 1] of world points p (..., 3): a sum of random plane waves."""
    rng = np.random.default_rng(seed)
    dirs = rng.normal(size=(n, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    freq = scale * np.exp(rng.uniform(0.0, 2.0, n))
    phase = rng.uniform(0, 2 * np.pi, n)
    amp = 1.0 / freq
    waves = np.sin((p @ dirs.T) * freq + phase) @ amp
    return waves / amp.sum()


def _room(pf: F64, pw: F64, floor: npt.NDArray[np.bool_], fwd_h: F64, background: str, tf: F64) -> F64:
    """Linear RGB (Hs, Ws, 3) of floor hits pf and wall hits pw (both (Hs, Ws, 3) world metres)."""
    side = np.cross(fwd_h, [0.0, 1.0, 0.0])
    wy = pw[..., 1:2]
    fog = np.clip(1.0 - 0.04 * np.where(floor, tf, 0.0), 0.7, 1.0)[..., None]
    if background == "plain":
        wall = np.array([0.66, 0.65, 0.62]) * (0.88 + 0.10 * np.clip(wy / 2.5, 0, 1))
        flo = np.array([0.40, 0.40, 0.40]) * np.ones_like(pf)
    elif background == "gym":
        wall = np.array([0.62, 0.62, 0.58]) * (0.85 + 0.12 * np.clip(wy / 2.5, 0, 1))
        band = (wy > 1.05) & (wy < 1.20)  # painted stripe, like many gym walls
        wall = np.where(band, np.array([0.12, 0.22, 0.40]), wall)
        wall = np.where(wy < 0.12, np.array([0.50, 0.50, 0.47]), wall)  # skirting
        plank = 0.92 + 0.08 * (np.floor((pf @ side) / 0.16) % 2)[..., None]
        grain = 1.0 + 0.03 * np.sin((pf @ fwd_h) * 23.0 + (pf @ side) * 3.0)[..., None]
        flo = np.array([0.42, 0.33, 0.24]) * plank * grain
        mat = (np.abs(pf[..., 0:1]) < 0.75) & (pf[..., 2:3] > -0.9) & (pf[..., 2:3] < 1.2)  # rubber mat
        flo = np.where(mat, np.array([0.19, 0.20, 0.22]) * (1 + 0.05 * _noise(pf, 40.0, 3)[..., None]), flo)
    else:  # textured: mottled plaster wall, square tiles with grout
        wall = np.array([0.60, 0.57, 0.52]) * (1 + 0.07 * _noise(pw, 4.0, 1) + 0.03 * _noise(pw, 30.0, 2))[..., None]
        u, v = (pf @ side) / 0.5, (pf @ fwd_h) / 0.5
        grout = (np.abs(u - np.round(u)) < 0.02) | (np.abs(v - np.round(v)) < 0.02)
        tone = 1 + 0.08 * _noise(np.stack([np.floor(u), np.floor(v), 0 * u], -1), 3.0, 4)
        flo = np.array([0.52, 0.48, 0.44]) * (tone * (1 - 0.35 * grout))[..., None]
    return np.where(floor[..., None], flo * fog, wall)


@lru_cache(maxsize=8)
def _scene(cam: Camera, ss: int, background: str) -> tuple[F32, F32, F32]:
    """Cached per camera: ray planes (3, Hs, Ws), room linear RGB (Hs, Ws, 3), floor points (Hs, Ws, 3) or NaN."""
    rays = cam.rays(ss)
    o = cam.position
    fwd_h = -o * np.array([1.0, 0.0, 1.0])
    fwd_h /= np.linalg.norm(fwd_h)
    with np.errstate(divide="ignore", invalid="ignore"):
        tf = np.where(rays[..., 1] < 0, -o[1] / rays[..., 1], np.inf)
        dn = rays @ fwd_h
        tw = np.where(dn > 0, (float(np.linalg.norm(o * [1, 0, 1])) + WALL_BEHIND_M) / dn, np.inf)
    floor = tf < tw
    pf = o + np.where(floor, tf, 0.0)[..., None] * rays
    pw = o + np.where(np.isfinite(tw), tw, 0.0)[..., None] * rays
    bg = _room(pf, pw, floor, fwd_h, background, tf)
    pf = np.where(floor[..., None], pf, np.nan)
    planes = np.ascontiguousarray(np.moveaxis(rays, -1, 0), np.float32)
    return planes, bg.astype(np.float32), pf.astype(np.float32)


def _resize(a: F32, h: int, w: int) -> F32:
    """Bilinear resize of a (h0, w0) map to (h, w), pixel centres aligned."""

    def axis(n0: int, n: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], F32]:
        g = np.clip((np.arange(n) + 0.5) * n0 / n - 0.5, 0, n0 - 1)
        i0 = np.floor(g).astype(np.intp)
        return i0, np.minimum(i0 + 1, n0 - 1), (g - i0).astype(np.float32)

    y0, y1, wy = axis(a.shape[0], h)
    x0, x1, wx = axis(a.shape[1], w)
    rows = a[y0] * (1 - wy[:, None]) + a[y1] * wy[:, None]
    return np.asarray(rows[:, x0] * (1 - wx) + rows[:, x1] * wx, np.float32)


def _shadow(cam: Camera, ss: int, pf: F32, joints: F64, step: int = 6) -> tuple[slice, slice, F32] | None:
    """Floor darkening near the feet (ambient occlusion + a soft overhead shadow) from spheres along the legs.

    Evaluated every `step` supersampled pixels and interpolated (it is smooth). Returns the image window and
    its (h, w) multiplier, or None when the feet are off screen.
    """
    P = {n: joints[i] for n, i in J.items()}
    sph = [(P["MID_HIP"], 0.12)]
    for lr in ("L", "R"):
        for a, b, r in (("_HIP", "_KNEE", 0.075), ("_KNEE", "_ANKLE", 0.045), ("_HEEL", "_TOE", 0.05)):
            for f in (0.0, 0.5, 1.0):
                sph.append((P[lr + a] + f * (P[lr + b] - P[lr + a]), r))
    cs = np.array([c for c, _ in sph], np.float32)
    rs = np.array([r for _, r in sph], np.float32)
    lo, hi = cs.min(0) - 0.7, cs.max(0) + 0.7
    corners = np.array([[x, 0.0, z] for x in (lo[0], hi[0]) for z in (lo[2], hi[2])])
    if (cam.depth(corners) < 0.1).any():
        return None
    uv = cam.project(corners) * ss
    x0, y0 = np.maximum(np.floor(uv.min(0)).astype(int), 0)
    x1, y1 = np.ceil(uv.max(0)).astype(int)
    x1, y1 = min(x1, cam.W * ss), min(y1, cam.H * ss)
    if x1 - x0 < 2 * step or y1 - y0 < 2 * step:
        return None
    ys, xs = slice(y0, y1), slice(x0, x1)
    q = pf[ys, xs][::step, ::step]
    gh, gw = q.shape[:2]
    q = q.reshape(-1, 3)
    ok = np.isfinite(q[:, 0])
    qx, qy, qz = (np.where(ok, q[:, i], 0.0).astype(np.float32) for i in range(3))
    occ = np.ones(len(q), np.float32)
    lit = np.ones(len(q), np.float32)
    lx, ly, lz = SHADOW_LIGHT.astype(np.float32)
    for c, r in zip(cs, rs, strict=True):
        dx, dy, dz = c[0] - qx, c[1] - qy, c[2] - qz
        l2 = dx * dx + dy * dy + dz * dz
        occ *= 1.0 - np.clip(np.maximum(dy, 0) * (r * r) / (l2 * np.sqrt(l2)), 0, 1) * 0.85
        tt = dx * lx + dy * ly + dz * lz
        dd = np.sqrt(np.maximum(l2 - tt * tt, 0))
        lit = np.minimum(lit, np.where(tt > 0, np.clip((dd - 0.6 * r) / (0.8 * r + 0.08 * tt), 0, 1), 1))
    mul = np.where(ok, (0.55 + 0.45 * lit) * occ, 1.0).astype(np.float32).reshape(gh, gw)
    return ys, xs, _resize(mul, y1 - y0, x1 - x0)


def _shade(p: Prim, o: F64, d: Planes, t: F32) -> F32:
    """Linear RGB (N, 3) of primitive p seen along unit rays d (x, y, z planes of N) from o, hit at t (N,).

    Key, fill and sky light, a rim term and a specular highlight; the view direction is taken as constant
    over one primitive (its centre's), which is exact enough for parts this small.
    """
    nx, ny, nz = normals(p, o, d, t)
    view = (p.c - o) / np.linalg.norm(p.c - o)
    half = (LIGHT - view) / np.linalg.norm(LIGHT - view)

    def dot(v: F64) -> F32:
        return np.clip(nx * np.float32(v[0]) + ny * np.float32(v[1]) + nz * np.float32(v[2]), 0, 1)

    sky = 0.13 * (1 + ny)  # 0.26 × (0.5 + 0.5 n_y)
    shade = 0.70 * dot(LIGHT) + 0.22 * dot(FILL) + sky + 0.10 * (1 - dot(-view)) ** 3
    spec = 0.05 * dot(half) ** 24
    return np.asarray(p.colour, np.float32) * shade[:, None] + spec[:, None]


def render(cam: Camera, joints: F64, look: Look = Look(), ss: int = 2) -> U8:  # noqa: B008
    """Draw the mannequin in one pose.

    Args:
        cam: the camera (output size cam.W × cam.H).
        joints: (J, 3) world metres in `kinematics.JOINT_NAMES` order.
        look: colours and background.
        ss: supersampling factor per axis (2 = 4 rays per pixel).

    Returns:
        (H, W, 3) uint8 BGR image.
    """
    rays, bg, pf = _scene(cam, ss, look.background)
    hs, ws = rays.shape[1:]
    o = cam.position
    tbuf = np.full((hs, ws), np.inf, np.float32)
    ibuf = np.full((hs, ws), -1, np.int16)
    prims = build_figure(joints, look)
    for k, p in enumerate(prims):
        x0, x1, y0, y1 = _bbox(cam, p, ss)
        if x1 <= x0 or y1 <= y0:
            continue
        tb, ib = tbuf[y0:y1, x0:x1], ibuf[y0:y1, x0:x1]
        t = hit(p, o, (rays[0, y0:y1, x0:x1], rays[1, y0:y1, x0:x1], rays[2, y0:y1, x0:x1]))
        m = t < tb
        tb[m], ib[m] = t[m], k
    img = bg.copy()
    sh = _shadow(cam, ss, pf, joints)
    if sh is not None:
        ys, xs, mul = sh
        img[ys, xs] *= mul[..., None]
    # shade each primitive's pixels in one batch: sort the hit pixels by primitive id
    flat = np.flatnonzero(ibuf >= 0)
    ids = ibuf.ravel()[flat]
    order = np.argsort(ids, kind="stable")
    flat, ids = flat[order], ids[order]
    bounds = np.searchsorted(ids, np.arange(len(prims) + 1))
    img_f, rays_f, t_f = img.reshape(-1, 3), rays.reshape(3, -1), tbuf.ravel()
    for k, p in enumerate(prims):
        sel = flat[bounds[k] : bounds[k + 1]]
        if len(sel):
            img_f[sel] = _shade(p, o, (rays_f[0, sel], rays_f[1, sel], rays_f[2, sel]), t_f[sel])
    # box filter as adds of strided views (numpy's reduce over a length-2 axis is several times slower)
    rows = img.reshape(cam.H, ss, cam.W * ss * 3)
    rsum = rows[:, 0].copy()
    for i in range(1, ss):
        rsum += rows[:, i]
    cols = rsum.reshape(cam.H, cam.W, ss, 3)
    small = cols[:, :, 0].copy()
    for j in range(1, ss):
        small += cols[:, :, j]
    small /= float(ss * ss)
    idx = (np.clip(small, 0, 1) * ((1 << _GAMMA_BITS) - 1) + 0.5).astype(np.uint16)
    return _GAMMA[idx[..., ::-1]]
