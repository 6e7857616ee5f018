"""Vectorised numpy ray-caster that draws the mannequin: clothed, shaded, anti-aliased, on a floor and a wall.

The figure is built from two primitive kinds, each a unit shape seen through an affine map (so one code path
gives spheres, ellipsoids, tapered capsules and front-to-back squashed tapered capsules for the torso):
ellipsoids and round cones (two spheres joined by their common tangent cone). Each primitive is ray-tested only
inside its projected screen bounding box; the nearest hit per pixel wins and is shaded once afterwards.
Rendering is at `ss`× the output size and box-filtered down (anti-aliasing). Colours are linear RGB in 0–1.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
import numpy.typing as npt

from pipeline.synth.camera import Camera
from pipeline.synth.kinematics import J

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]
WALL_BEHIND_M = 1.8
LIGHT = np.array([-0.45, 0.80, 0.75]) / np.linalg.norm([-0.45, 0.80, 0.75])
SHADOW_LIGHT = np.array([-0.25, 1.0, 0.35]) / np.linalg.norm([-0.25, 1.0, 0.35])
FILL = np.array([0.70, 0.30, 0.60]) / np.linalg.norm([0.70, 0.30, 0.60])


@dataclass(frozen=True)
class Look:
    """Appearance: linear RGB colours in 0–1."""

    skin: tuple[float, float, float] = (0.72, 0.48, 0.36)
    shirt: tuple[float, float, float] = (0.10, 0.28, 0.60)
    shorts: tuple[float, float, float] = (0.09, 0.09, 0.11)
    shoes: tuple[float, float, float] = (0.85, 0.85, 0.82)
    hair: tuple[float, float, float] = (0.12, 0.07, 0.04)


SKIN_TONES: dict[str, tuple[float, float, float]] = {
    "light": (0.80, 0.58, 0.46),
    "medium": (0.72, 0.48, 0.36),
    "tan": (0.55, 0.36, 0.24),
    "dark": (0.30, 0.19, 0.13),
}


@dataclass(frozen=True)
class Prim:
    """One primitive. World point p maps to local q = A (p − c); kind 'e' is the unit sphere in q, kind 'c' a
    round cone from q = 0 (radius ra) to q = (0, L, 0) (radius rb). lo/hi: world AABB; colour: linear RGB."""

    kind: str
    c: F64
    A: F64
    L: float
    ra: float
    rb: float
    lo: F64
    hi: F64
    colour: tuple[float, float, float]


def _frame(axis: F64, hint: F64) -> F64:
    """(3, 3) rows (v, u, w): u along `axis`, w the part of `hint` normal to it, v = u × w."""
    u = axis / np.linalg.norm(axis)
    w = hint - (hint @ u) * u
    n = np.linalg.norm(w)
    w = w / n if n > 1e-6 else np.cross(u, [1.0, 0.0, 0.0]) / np.linalg.norm(np.cross(u, [1.0, 0.0, 0.0]))
    return np.stack([np.cross(u, w), u, w])


def cone(
    a: F64,
    b: F64,
    ra: float,
    rb: float,
    colour: tuple[float, float, float],
    squash: float = 1.0,
    hint: F64 | None = None,
) -> Prim:
    """Round cone a→b (world metres) with end radii ra, rb; `squash` < 1 flattens it along `hint` (depth)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    rows = _frame(b - a, np.array([0.0, 0.0, 1.0]) if hint is None else np.asarray(hint, float))
    A = np.diag([1.0, 1.0, 1.0 / squash]) @ rows
    r = max(ra, rb)
    return Prim("c", a, A, float(np.linalg.norm(b - a)), ra, rb, np.minimum(a, b) - r, np.maximum(a, b) + r, colour)


def ellipsoid(c: F64, axes: F64, radii: tuple[float, float, float], colour: tuple[float, float, float]) -> Prim:
    """Ellipsoid at c with orthonormal axes (3, 3) (rows) and radii along them, metres."""
    axes = np.asarray(axes, float)
    A = np.diag(1.0 / np.asarray(radii)) @ axes
    ext = np.abs(axes.T * np.asarray(radii)).sum(1)
    c = np.asarray(c, float)
    return Prim("e", c, A, 0.0, 1.0, 1.0, c - ext, c + ext, colour)


def _hit_cone(o: F64, d: F32, L: float, ra: float, rb: float) -> F32:
    """Distance along unit local rays d (N, 3) from local origin o (3,) to a round cone (iq's method); inf = miss."""
    rr = ra - rb
    m0, m1, m5 = L * L, L * float(o[1]), float(o @ o)
    m2 = L * d[:, 1]
    m3 = d @ o.astype(np.float32)
    m6 = m3 - m2
    ob = o - np.array([0.0, L, 0.0])
    m7 = float(ob @ ob)
    d2 = m0 - rr * rr
    k2 = d2 - m2 * m2
    k1 = d2 * m3 - m1 * m2 + m2 * (rr * ra)
    k0 = d2 * m5 - m1 * m1 + m1 * rr * ra * 2.0 - m0 * ra * ra
    h = k1 * k1 - k0 * k2
    t = np.full(d.shape[0], np.inf, np.float32)
    ok = h >= 0
    if not ok.any():
        return t
    with np.errstate(invalid="ignore", divide="ignore"):
        tb = (-np.sqrt(np.maximum(h, 0)) - k1) / k2
        y = m1 - ra * rr + tb * m2
        body = ok & (y > 0) & (y < d2)
        h1 = m3 * m3 - m5 + ra * ra
        h2 = m6 * m6 - m7 + rb * rb
        t1 = np.where(h1 > 0, -m3 - np.sqrt(np.maximum(h1, 0)), np.inf)
        t2 = np.where(h2 > 0, -m6 - np.sqrt(np.maximum(h2, 0)), np.inf)
    caps = np.minimum(t1, t2)
    return np.where(body, tb, np.where(ok, caps, np.inf)).astype(np.float32)


def _hit_sphere(o: F64, d: F32) -> F32:
    """Distance along unit rays d (N, 3) from o (3,) to the unit sphere at 0; inf = miss."""
    b = d @ o.astype(np.float32)
    h = b * b - float(o @ o - 1.0)
    with np.errstate(invalid="ignore"):
        return np.where(h >= 0, -b - np.sqrt(np.maximum(h, 0)), np.inf).astype(np.float32)


def _normals(p: Prim, o: F64, d: F32, t: F32) -> F32:
    """World unit normals (N, 3) at the hits t (N,) of world rays d (N, 3) from o on primitive p."""
    q = ((o - p.c) @ p.A.T).astype(np.float32) + (t[:, None] * d) @ p.A.T.astype(np.float32)
    if p.kind == "e":
        n = q
    else:
        s = (p.ra - p.rb) / p.L
        c = np.sqrt(max(1 - s * s, 0.0))
        rad = q * np.array([1, 0, 1], np.float32)
        rad /= np.maximum(np.linalg.norm(rad, axis=1, keepdims=True), 1e-9)
        n = c * rad + np.array([0.0, s, 0.0], np.float32)
        cap_a = q[:, 1] < p.ra * s
        cap_b = q[:, 1] > p.L + p.rb * s
        n[cap_a] = q[cap_a]
        n[cap_b] = q[cap_b] - np.array([0.0, p.L, 0.0], np.float32)
    n = n @ p.A.astype(np.float32)  # normals map by A^T: n_w = A^T n_l
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)


def _bbox(cam: Camera, p: Prim, ss: int) -> tuple[int, int, int, int]:
    """Screen box (x0, x1, y0, y1) in supersampled pixels that contains the primitive's projection."""
    corners = np.array([[x, y, z] for x in (p.lo[0], p.hi[0]) for y in (p.lo[1], p.hi[1]) for z in (p.lo[2], p.hi[2])])
    uv = cam.project(corners) * ss
    x0, y0 = np.floor(uv.min(0)).astype(int) - 1
    x1, y1 = np.ceil(uv.max(0)).astype(int) + 1
    return max(x0, 0), min(x1, cam.W * ss), max(y0, 0), min(y1, cam.H * ss)


@lru_cache(maxsize=8)
def _scene(cam: Camera, ss: int) -> tuple[F32, F32, F32]:
    """Cached per camera: rays (Hs, Ws, 3), background linear RGB (Hs, Ws, 3), floor hit points (Hs, Ws, 3)."""
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
    wall = np.array([0.62, 0.62, 0.58]) * (0.85 + 0.12 * np.clip(pw[..., 1] / 2.5, 0, 1))[..., None]
    wall = np.where((pw[..., 1] < 0.12)[..., None], np.array([0.50, 0.50, 0.47]), wall)
    side = np.cross(fwd_h, [0.0, 1.0, 0.0])
    plank = 0.92 + 0.08 * (np.floor((pf @ side) / 0.16) % 2)[..., None]
    grain = 1.0 + 0.03 * np.sin((pf @ fwd_h) * 23.0 + (pf @ side) * 3.0)[..., None]
    fog = np.clip(1.0 - 0.04 * np.where(floor, tf, 0.0), 0.7, 1.0)[..., None]
    bg = np.where(floor[..., None], np.array([0.42, 0.33, 0.24]) * plank * grain * fog, wall)
    pf = np.where(floor[..., None], pf, np.nan)
    return rays.astype(np.float32), bg.astype(np.float32), pf.astype(np.float32)


def build_figure(joints: F64, look: Look = Look()) -> list[Prim]:  # noqa: B008
    """The mannequin's primitives for one pose.

    Args:
        joints: (J, 3) world metres in `kinematics.JOINT_NAMES` order.
        look: colours.

    Returns:
        Primitives, body first, face details last.
    """
    P = {n: joints[i] for n, i in J.items()}
    skin, shirt, shorts, shoes = look.skin, look.shirt, look.shorts, look.shoes
    hem_shirt = (0.8 * shirt[0], 0.8 * shirt[1], 0.8 * shirt[2])
    hem_shorts = (0.7 * shorts[0] + 0.05, 0.7 * shorts[1] + 0.05, 0.7 * shorts[2] + 0.05)
    s = float(np.linalg.norm(P["L_HIP"] - P["R_HIP"]) / 0.20)
    mid, neck = P["MID_HIP"], P["NECK"]
    up = (neck - mid) / np.linalg.norm(neck - mid)
    x = P["L_SHOULDER"] - P["R_SHOULDER"]
    x /= np.linalg.norm(x)
    fwd = np.cross(x, up)
    out: list[Prim] = []
    # pelvis (shorts), torso (shirt) with its hem, shoulders
    out.append(cone(P["R_HIP"] + 0.03 * s * up, P["L_HIP"] + 0.03 * s * up, 0.105 * s, 0.105 * s, shorts, 0.85, fwd))
    out.append(cone(mid + 0.17 * s * up, mid + 0.35 * s * up, 0.135 * s, 0.155 * s, shirt, 0.72, fwd))
    out.append(cone(mid + 0.10 * s * up, mid + 0.16 * s * up, 0.142 * s, 0.140 * s, hem_shirt, 0.74, fwd))
    out.append(cone(P["R_SHOULDER"], P["L_SHOULDER"], 0.062 * s, 0.062 * s, shirt, 0.9, fwd))
    out.append(cone(neck - 0.06 * s * up, P["HEAD"] - 0.07 * s * up, 0.052 * s, 0.048 * s, skin))
    for lr in ("L", "R"):
        hip, knee, ankle = P[lr + "_HIP"], P[lr + "_KNEE"], P[lr + "_ANKLE"]
        heel, toe = P[lr + "_HEEL"], P[lr + "_TOE"]
        tk = knee - hip
        out.append(cone(hip, hip + 0.50 * tk, 0.092 * s, 0.080 * s, shorts))
        out.append(cone(hip + 0.46 * tk, hip + 0.52 * tk, 0.083 * s, 0.082 * s, hem_shorts))
        out.append(cone(hip + 0.45 * tk, knee, 0.074 * s, 0.052 * s, skin))
        sk = ankle - knee
        out.append(cone(knee, ankle, 0.050 * s, 0.034 * s, skin))
        foot = toe - heel
        fl = float(np.linalg.norm(foot))
        f_ax = _frame(foot, np.array([0.0, 1.0, 0.0]))  # rows: lateral, along, up
        calf = _frame(sk, -foot)
        out.append(ellipsoid(knee + 0.33 * sk - 0.016 * s * calf[2], calf, (0.046 * s, 0.12 * s, 0.048 * s), skin))
        out.append(
            ellipsoid(
                heel + 0.5 * foot + 0.035 * s * f_ax[2],
                f_ax[[0, 1, 2]],
                (0.050 * s, 0.55 * fl + 0.01 * s, 0.042 * s),
                shoes,
            )
        )
        out.append(
            ellipsoid(
                heel + 0.5 * foot + 0.008 * s * f_ax[2],
                f_ax,
                (0.053 * s, 0.56 * fl + 0.012 * s, 0.016 * s),
                (0.25, 0.25, 0.27),
            )
        )
        out.append(cone(ankle + 0.03 * s * up, ankle - 0.02 * s * f_ax[2], 0.040 * s, 0.046 * s, shoes))
        sh, el, wr, hand = P[lr + "_SHOULDER"], P[lr + "_ELBOW"], P[lr + "_WRIST"], P[lr + "_HAND"]
        ue = el - sh
        out.append(cone(sh, sh + 0.42 * ue, 0.058 * s, 0.053 * s, shirt))
        out.append(cone(sh + 0.40 * ue, sh + 0.45 * ue, 0.056 * s, 0.055 * s, hem_shirt))
        out.append(cone(sh + 0.35 * ue, el, 0.045 * s, 0.037 * s, skin))
        out.append(cone(el, wr, 0.036 * s, 0.026 * s, skin))
        h_ax = _frame(hand - wr, x)
        out.append(
            ellipsoid((wr + hand) / 2 + 0.01 * s * (hand - wr) / 0.07, h_ax, (0.018 * s, 0.055 * s, 0.040 * s), skin)
        )
    out.extend(_head(P, s, look))
    return out


def _head(P: dict[str, F64], s: float, look: Look) -> list[Prim]:
    """Head, hair, ears and face (eyes, brows, nose, mouth) in the head's own frame."""
    head = P["HEAD"]
    up = P["HEAD_TOP"] - head
    up /= np.linalg.norm(up)
    x = P["L_EAR"] - P["R_EAR"]
    x -= (x @ up) * up
    x /= np.linalg.norm(x)
    fwd = np.cross(x, up)
    R = np.stack([x, up, fwd])

    def at(dx: float, dy: float, dz: float) -> F64:
        return head + s * (dx * x + dy * up + dz * fwd)

    white, iris, lip, brow = (0.92, 0.92, 0.90), (0.06, 0.04, 0.03), (0.50, 0.22, 0.22), look.hair
    out = [
        ellipsoid(head, R, (0.076 * s, 0.100 * s, 0.092 * s), look.skin),
        ellipsoid(at(0, -0.045, 0.018), R, (0.062 * s, 0.062 * s, 0.074 * s), look.skin),
        ellipsoid(at(0, 0.032, -0.018), R, (0.082 * s, 0.092 * s, 0.094 * s), look.hair),
        ellipsoid(at(0, -0.016, 0.092), R, (0.011 * s, 0.022 * s, 0.016 * s), look.skin),
        ellipsoid(at(0, -0.056, 0.080), R, (0.022 * s, 0.006 * s, 0.008 * s), lip),
    ]
    for side in (1.0, -1.0):
        out.append(ellipsoid(at(side * 0.078, -0.005, -0.005), R, (0.014 * s, 0.030 * s, 0.020 * s), look.skin))
        out.append(ellipsoid(at(side * 0.031, 0.008, 0.080), R, (0.015 * s, 0.009 * s, 0.008 * s), white))
        out.append(ellipsoid(at(side * 0.031, 0.008, 0.086), R, (0.0065 * s, 0.0065 * s, 0.0045 * s), iris))
        out.append(ellipsoid(at(side * 0.033, 0.030, 0.083), R, (0.019 * s, 0.0045 * s, 0.006 * s), brow))
    return out


def _shadow(cam: Camera, ss: int, pf: F32, joints: F64, step: int = 4) -> tuple[slice, slice, F32] | None:
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
    q = np.where(ok[:, None], q, 0.0)
    occ = np.ones(len(q), np.float32)
    lit = np.ones(len(q), np.float32)
    light = SHADOW_LIGHT.astype(np.float32)
    for c, r in zip(cs, rs, strict=True):
        di = c - q
        l2 = (di * di).sum(1)
        occ *= 1.0 - np.clip(np.maximum(di[:, 1], 0) * (r * r) / (l2 * np.sqrt(l2)), 0, 1) * 0.85
        tt = di @ light
        dd = np.sqrt(np.maximum(l2 - tt * tt, 0))
        lit = np.minimum(lit, np.where(tt > 0, np.clip((dd - 0.6 * r) / (0.8 * r + 0.08 * tt), 0, 1), 1))
    mul = np.where(ok, (0.55 + 0.45 * lit) * occ, 1.0).astype(np.float32).reshape(gh, gw)
    full = cv2.resize(mul, (gw * step, gh * step), interpolation=cv2.INTER_LINEAR)
    return ys, xs, np.asarray(full[: y1 - y0, : x1 - x0], np.float32)


def render(cam: Camera, joints: F64, look: Look = Look(), ss: int = 2) -> U8:  # noqa: B008
    """Draw the mannequin in one pose.

    Args:
        cam: the camera (output size cam.W × cam.H).
        joints: (J, 3) world metres in `kinematics.JOINT_NAMES` order.
        look: colours.
        ss: supersampling factor per axis (2 = 4 rays per pixel).

    Returns:
        (H, W, 3) uint8 BGR image.
    """
    rays, bg, pf = _scene(cam, ss)
    hs, ws = rays.shape[:2]
    o = cam.position
    tbuf = np.full((hs, ws), np.inf, np.float32)
    ibuf = np.full((hs, ws), -1, np.int16)
    prims = build_figure(joints, look)
    for k, p in enumerate(prims):
        x0, x1, y0, y1 = _bbox(cam, p, ss)
        if x1 <= x0 or y1 <= y0:
            continue
        d = rays[y0:y1, x0:x1].reshape(-1, 3) @ p.A.T.astype(np.float32)
        n = np.linalg.norm(d, axis=1)
        d /= n[:, None]
        ol = p.A @ (o - p.c)
        t = (_hit_sphere(ol, d) if p.kind == "e" else _hit_cone(ol, d, p.L, p.ra, p.rb)) / n
        tb, ib = tbuf[y0:y1, x0:x1], ibuf[y0:y1, x0:x1]
        t = t.reshape(tb.shape)
        m = t < tb
        tb[m], ib[m] = t[m], k
    img = bg.copy()
    sh = _shadow(cam, ss, pf, joints)
    if sh is not None:
        ys, xs, mul = sh
        img[ys, xs] *= mul[..., None]
    yy, xx = np.nonzero(ibuf >= 0)
    ids = ibuf[yy, xx]
    order = np.argsort(ids, kind="stable")
    yy, xx, ids = yy[order], xx[order], ids[order]
    bounds = np.searchsorted(ids, np.arange(len(prims) + 1))
    for k, p in enumerate(prims):
        a, b = bounds[k], bounds[k + 1]
        if a == b:
            continue
        py, px = yy[a:b], xx[a:b]
        d = rays[py, px]
        nrm = _normals(p, o, d, tbuf[py, px])
        key = np.clip(nrm @ LIGHT.astype(np.float32), 0, 1)
        fill = np.clip(nrm @ FILL.astype(np.float32), 0, 1)
        hemi = 0.5 + 0.5 * nrm[:, 1]
        facing = np.clip(-np.einsum("ij,ij->i", nrm, d), 0, 1)
        half = LIGHT.astype(np.float32) - d
        half /= np.linalg.norm(half, axis=1, keepdims=True)
        spec = np.clip(np.einsum("ij,ij->i", nrm, half), 0, 1) ** 24
        shade = 0.70 * key + 0.22 * fill + 0.26 * hemi + 0.10 * (1 - facing) ** 3
        img[py, px] = np.asarray(p.colour, np.float32) * shade[:, None] + 0.05 * spec[:, None]
    small = img.reshape(cam.H, ss, cam.W, ss, 3).mean((1, 3))
    out = np.clip(small, 0, 1) ** (1 / 2.2)
    return (out[..., ::-1] * 255 + 0.5).astype(np.uint8)
