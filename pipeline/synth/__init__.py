"""Synthetic ground truth: a 3D mannequin that squats and lunges, a camera that films it, a renderer that draws it.

`kinematics.simulate` gives joint positions with known truth (depth, 3D valgus, knee flexion, rep events);
`camera.Camera` projects them; `render` draws the figure; `clips` writes a video plus its `.truth.json`.
Nothing here runs at import time.
"""

from __future__ import annotations
