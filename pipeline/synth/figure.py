"""The mannequin as ray-traceable primitives: clothed body, face, hands and shoes built around the joint centres.

Two primitive kinds, each a unit shape seen through an affine map q = A (p − c), so one code path gives spheres,
ellipsoids, tapered capsules and front-to-back squashed tapered capsules (the single smooth torso): ellipsoids
and round cones (two spheres joined by their common tangent cone, iq's intersection). Reads joints, writes
nothing; `render` draws these, `truth` ray-tests them for keypoint visibility.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pipeline.synth.kinematics import J

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


BACKGROUNDS = ("plain", "gym", "textured")


@dataclass(frozen=True)
class Look:
    """Appearance: linear RGB colours in 0–1 and the room (`background`: "plain", "gym" or "textured")."""

    skin: tuple[float, float, float] = (0.72, 0.48, 0.36)
    shirt: tuple[float, float, float] = (0.10, 0.28, 0.60)
    shorts: tuple[float, float, float] = (0.09, 0.09, 0.11)
    shoes: tuple[float, float, float] = (0.85, 0.85, 0.82)
    hair: tuple[float, float, float] = (0.12, 0.07, 0.04)
    background: str = "gym"

    def __post_init__(self) -> None:
        if self.background not in BACKGROUNDS:
            raise ValueError(f"background must be one of {BACKGROUNDS}, not {self.background!r}")


SKIN_TONES: dict[str, tuple[float, float, float]] = {
    "light": (0.80, 0.58, 0.46),
    "medium": (0.72, 0.48, 0.36),
    "tan": (0.55, 0.36, 0.24),
    "dark": (0.30, 0.19, 0.13),
}


@dataclass(frozen=True)
class Prim:
    """One primitive. World point p maps to local q = A (p − c); kind 'e' is the unit sphere in q, kind 'c' a
    round cone from q = 0 (radius ra) to q = (0, L, 0) (radius rb). lo/hi: world AABB; colour: linear RGB;
    ends (2, 3) and rad: two world spheres whose convex hull contains the primitive (for tight screen boxes)."""

    kind: str
    c: F64
    A: F64
    L: float
    ra: float
    rb: float
    lo: F64
    hi: F64
    colour: tuple[float, float, float]
    ends: F64
    rad: float


Planes = tuple[F32, F32, F32]  # x, y, z components of many vectors, each the same shape (SoA layout)


def apply3(M: F64, v: Planes) -> Planes:
    """M (3, 3) times each vector of v, as nine scaled plane adds (no BLAS: on 2 loaded cores OpenBLAS's
    threads on these skinny products cost more than they save, and (N, 3) layouts waste time in strides)."""
    m = M.astype(np.float32)
    x, y, z = (m[i, 0] * v[0] + m[i, 1] * v[1] + m[i, 2] * v[2] for i in range(3))
    return x, y, z


def _cross(a: F64, b: F64) -> F64:
    """Cross product of two (3,) vectors (np.cross costs ~15 µs a call; the figure makes hundreds)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def _frame(axis: F64, hint: F64) -> F64:
    """(3, 3) rows (v, u, w): u along `axis`, w the part of `hint` normal to it, v = u × w."""
    u = axis / np.linalg.norm(axis)
    w = hint - (hint @ u) * u
    n = np.linalg.norm(w)
    if n > 1e-6:
        w = w / n
    else:  # hint along the axis: any normal will do
        w = _cross(u, np.array([1.0, 0.0, 0.0]))
        w = w / np.linalg.norm(w)
    return np.stack([_cross(u, w), u, w])


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
    lo, hi = np.minimum(a, b) - r, np.maximum(a, b) + r
    return Prim("c", a, A, float(np.linalg.norm(b - a)), ra, rb, lo, hi, colour, np.stack([a, b]), r)


def ellipsoid(c: F64, axes: F64, radii: tuple[float, float, float], colour: tuple[float, float, float]) -> Prim:
    """Ellipsoid at c with orthonormal axes (3, 3) (rows) and radii along them, metres."""
    axes = np.asarray(axes, float)
    A = np.diag(1.0 / np.asarray(radii)) @ axes
    ext = np.abs(axes.T * np.asarray(radii)).sum(1)
    c = np.asarray(c, float)
    # bounding capsule: the longest axis shortened by the middle radius, with the middle radius (holds the ellipsoid)
    order = np.argsort(radii)
    a_len, b_rad = float(radii[order[2]]), float(radii[order[1]])
    half = (a_len - b_rad) * axes[order[2]]
    return Prim("e", c, A, 0.0, 1.0, 1.0, c - ext, c + ext, colour, np.stack([c - half, c + half]), b_rad)


def hit_cone(o: F64, d: Planes, L: float, ra: float, rb: float) -> F32:
    """Distance along unit local rays d from local origin o (3,) to a round cone (iq's method); inf = miss."""
    rr = ra - rb
    m0, m1, m5 = L * L, L * float(o[1]), float(o @ o)
    m2 = L * d[1]
    m3 = float(o[0]) * d[0] + float(o[1]) * d[1] + float(o[2]) * d[2]
    m6 = m3 - m2
    ob = o - np.array([0.0, L, 0.0])
    m7 = float(ob @ ob)
    d2 = m0 - rr * rr
    k2 = d2 - m2 * m2
    k1 = d2 * m3 - m1 * m2 + m2 * (rr * ra)
    k0 = d2 * m5 - m1 * m1 + m1 * rr * ra * 2.0 - m0 * ra * ra
    h = k1 * k1 - k0 * k2
    ok = h >= 0
    if not ok.any():
        return np.full(h.shape, np.inf, np.float32)
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


def hit_sphere(o: F64, d: Planes) -> F32:
    """Ray parameter t of rays o + t d (d any length) entering the unit sphere at 0; inf = miss."""
    a = d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    b = float(o[0]) * d[0] + float(o[1]) * d[1] + float(o[2]) * d[2]
    h = b * b - a * float(o @ o - 1.0)
    with np.errstate(invalid="ignore"):
        return np.where(h >= 0, (-b - np.sqrt(np.maximum(h, 0))) / a, np.inf).astype(np.float32)


def hit(p: Prim, o: F64, rays: Planes) -> F32:
    """World distance along unit world rays (x, y, z planes) from o (3,) to primitive p; inf = miss."""
    d = apply3(p.A, rays)
    ol = p.A @ (o - p.c)
    if p.kind == "e":
        return hit_sphere(ol, d)
    n = np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
    return hit_cone(ol, (d[0] / n, d[1] / n, d[2] / n), p.L, p.ra, p.rb) / n


def normals(p: Prim, o: F64, d: Planes, t: F32) -> Planes:
    """World unit normals (x, y, z planes) at the hits t of world rays d from o on primitive p."""
    ol = (p.A @ (o - p.c)).astype(np.float32)
    dl = apply3(p.A, d)
    q = [ol[i] + t * dl[i] for i in range(3)]
    if p.kind == "e":
        n = q
    else:
        s = (p.ra - p.rb) / p.L
        c = np.float32(np.sqrt(max(1 - s * s, 0.0)))
        rl = np.maximum(np.sqrt(q[0] * q[0] + q[2] * q[2]), 1e-9)
        n = [c * q[0] / rl, np.full_like(q[1], s), c * q[2] / rl]
        cap_a = q[1] < p.ra * s
        cap_b = q[1] > p.L + p.rb * s
        qy = np.where(cap_b, q[1] - p.L, q[1])
        caps = cap_a | cap_b
        n = [np.where(caps, qc, nc) for qc, nc in zip((q[0], qy, q[2]), n, strict=True)]
    w = apply3(p.A.T, (n[0], n[1], n[2]))  # normals map by A^T: n_w = A^T n_l
    ln = np.maximum(np.sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]), 1e-9)
    return (w[0] / ln, w[1] / ln, w[2] / ln)


def first_hit(prims: list[Prim], o: F64, rays: Planes) -> F32:
    """World distance to the nearest primitive along unit rays (x, y, z planes) from o (3,); inf = nothing hit."""
    t = np.full(rays[0].shape, np.inf, np.float32)
    for p in prims:
        t = np.minimum(t, hit(p, o, rays))
    return t


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
    fwd = _cross(x, up)
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
    fwd = _cross(x, up)
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
