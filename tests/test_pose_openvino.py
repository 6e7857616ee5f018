"""YOLO pose on OpenVINO directly: the same people and keypoints as ultralytics' predict, without torch.

The agreement tests run the real INT8 export from ../shared/models through both paths on frames of real clips,
one of them with two people (the client and a mirror image).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED

from pipeline.keypoints import N_COCO
from pipeline.pose.openvino import OpenVinoYoloPose, exported_model, letterbox, poses_from_output
from pipeline.video import long_side_height, probe, read_frames

WEIGHTS = SHARED / "models" / "yolov8n-pose_int8_openvino_model"
CLIPS = [
    SHARED / "videos" / "squat_front_barbell_good_05.mp4",
    SHARED / "videos" / "lunge_45deg_walking_dumbbell_mirror_02.mp4",  # the client and her mirror image
]


def _frames(clip: Path, every: int = 10, stop: int = 60) -> list[np.ndarray]:
    info = probe(clip)
    h = long_side_height(info, 640)
    return [f.copy() for i, _, f in read_frames(info, max_height=h, stop=stop) if i % every == 0]


def test_the_model_id_names_the_runtime_release() -> None:
    """The same weights gave other keypoints on another install (a real cave read amber on one and green on the next),
    so the runtime's release is recorded beside the weights' digest, in result.json and on the report."""
    import openvino as ov

    export = exported_model(WEIGHTS)
    assert export is not None
    model_id = OpenVinoYoloPose(export, 0.25, threads=1).model_id
    release = ov.__version__.split("-")[0]
    assert model_id.startswith("yolov8n-pose_int8_openvino_model@") and model_id.endswith(f"(OpenVINO {release})")


def test_the_float_layers_run_in_f32_whatever_the_cpu() -> None:
    """OpenVINO's default runs them in bfloat16 where the CPU supports it (AVX-512 BF16, AMX): there the same clip
    got boxes 3 px apart and other keypoints than on a CPU without it, so the precision is pinned."""
    import openvino as ov

    export = exported_model(WEIGHTS)
    assert export is not None
    net = OpenVinoYoloPose(export, 0.25, threads=1)._net
    assert net.get_property("INFERENCE_PRECISION_HINT") == ov.Type.f32


@pytest.mark.slow
def test_same_people_and_keypoints_as_ultralytics() -> None:
    from pipeline.pose.yolo import YoloPose

    export = exported_model(WEIGHTS)
    assert export is not None and export.imgsz == (640, 640)
    ours, theirs = OpenVinoYoloPose(export, 0.25, threads=2), YoloPose(WEIGHTS, 640, 0.25, threads=2)
    people = 0
    for clip in CLIPS:
        for frame in _frames(clip):
            a, b = ours(frame), theirs(frame)
            assert len(a) == len(b)
            people += len(a)
            np.testing.assert_allclose(a.boxes, b.boxes, atol=0.01)
            np.testing.assert_allclose(a.scores, b.scores, atol=1e-4)
            np.testing.assert_allclose(a.xy[:, :N_COCO], b.xy[:, :N_COCO], atol=0.01)
            np.testing.assert_allclose(a.conf, b.conf, atol=1e-4)
            assert np.isnan(a.xy[:, N_COCO:]).all()  # YOLO has no feet points
    assert people >= 14  # 12 frames; the mirror clip shows two people


@pytest.mark.slow
def test_threads_and_no_torch_in_the_process() -> None:
    """The point of this path: a worker that never imports torch, with the thread count it was given."""
    code = (
        "import sys, numpy as np; from pathlib import Path; from pipeline.pose import loaded_yolo\n"
        f"y = loaded_yolo(Path({str(WEIGHTS)!r}), 640, 0.25, False, 1)\n"
        "y(np.zeros((64, 48, 3), np.uint8))\n"
        "print(type(y).__name__, y._net.get_property('INFERENCE_NUM_THREADS'), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["OpenVinoYoloPose", "1", "False"]


def test_letterbox_matches_hand_computation() -> None:
    frame = np.zeros((100, 50, 3), np.uint8)
    frame[..., 0] = 255  # pure blue in BGR
    x, gain, pad = letterbox(frame, (640, 640))
    # scale 6.4 (height-bound) → 320 × 640, padded 160 px left and right
    assert x.shape == (3, 640, 640) and x.dtype == np.float32
    assert gain == (6.4, 6.4) and pad == (160, 0)
    assert x[:, 0, 0].tolist() == pytest.approx([114 / 255] * 3)  # the grey border
    assert x[:, 320, 320].tolist() == [0.0, 0.0, 1.0]  # RGB: blue is the last channel


def test_output_decoding_nms_and_scaling() -> None:
    """Four candidates: two overlapping (IoU 0.90, the weaker is dropped), one apart, one below the threshold."""
    out = np.zeros((4, 5 + 3 * N_COCO), np.float32)
    out[:, :5] = [
        [110, 220, 20, 40, 0.6],  # A
        [111, 220, 20, 40, 0.9],  # B: overlaps A, stronger
        [410, 300, 20, 10, 0.5],  # C: apart, past the frame's right edge
        [500, 500, 10, 10, 0.1],  # D: too weak
    ]
    out[:, 5::3], out[:, 6::3], out[:, 7::3] = 30.0, 60.0, 0.8  # every keypoint at (30, 60), conf 0.8
    poses = poses_from_output(out, 0.25, gain=(2.0, 2.0), pad=(10, 20), frame_hw=(400, 200))
    assert poses.scores.tolist() == pytest.approx([0.9, 0.5])  # strongest first
    # B: xyxy (101, 200, 121, 240) in network pixels → minus pad, halved
    np.testing.assert_allclose(poses.boxes[0], [45.5, 90.0, 55.5, 110.0])
    np.testing.assert_allclose(poses.boxes[1], [195.0, 137.5, 200.0, 142.5])  # x clipped to the 200 px frame
    np.testing.assert_allclose(poses.xy[:, :N_COCO], np.full((2, N_COCO, 2), [10.0, 20.0]))
    np.testing.assert_allclose(poses.conf[:, :N_COCO], 0.8)
    assert np.isnan(poses.xy[:, N_COCO:]).all()


def test_only_an_openvino_pose_export_takes_this_path(tmp_path: Path) -> None:
    assert exported_model(tmp_path) is None  # empty folder
    assert exported_model(tmp_path / "yolov8n-pose.pt") is None  # a weights file
    for name in ("m.xml", "m.bin"):
        (tmp_path / name).write_text("")
    meta = tmp_path / "metadata.yaml"
    meta.write_text("task: detect\nimgsz: [640, 640]\nkpt_shape: [17, 3]\n")
    assert exported_model(tmp_path) is None  # not a pose model
    meta.write_text("task: pose\nimgsz: [640, 640]\nkpt_shape: [17, 3]\nargs: {dynamic: true}\n")
    assert exported_model(tmp_path) is None  # dynamic shapes: left to ultralytics
    meta.write_text("task: pose\nimgsz: [480, 640]\nkpt_shape: [17, 3]\nbatch: 1\n")
    found = exported_model(tmp_path)
    assert found is not None and found.imgsz == (480, 640) and found.xml == tmp_path / "m.xml"
