"""The installed package, as a coach gets it: build the wheel, install it without -e, run it outside the checkout.

An editable install reads configs/ and templates/ from the repository; a wheel carries them inside the package.
The tests here make sure the wheel carries the same files and that an installed copy gives the same verdicts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VALGUS = ROOT / "sample_videos" / "squat_front_valgus20.mp4"

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    # no build isolation: hatchling comes with the dev extras, so the build needs no network
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(ROOT), "-w", str(dist)],
        ROOT,
    )
    (found,) = dist.glob("formreview-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed (not editable); dependencies are the test venv's."""
    env_dir = tmp_path_factory.mktemp("venv") / "v"
    _run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], ROOT)
    py = env_dir / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--no-index", str(wheel)], ROOT
    )
    # the dependencies already installed here, reached through a .pth line: a line only adds the folder to sys.path,
    # so the editable install's own .pth inside it (which points at this checkout) is not run
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], ROOT).stdout.strip())
    parents = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_test_deps.pth").write_text("\n".join(sorted(parents)) + "\n")
    return env_dir


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORMREVIEW_", "PYTHON"))}
    return env


def test_wheel_carries_the_repository_configs_and_templates(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        packed = {n: z.read(n) for n in z.namelist() if n.startswith("pipeline/_data/")}
    for folder in ("configs", "templates"):
        files = sorted(p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        assert files, folder
        for p in files:
            name = f"pipeline/_data/{p.relative_to(ROOT).as_posix()}"
            assert packed.get(name) == p.read_bytes(), f"{name} differs from the repository's or is missing"


def test_installed_wheel_imports_from_itself_not_the_checkout(venv: Path, tmp_path: Path) -> None:
    code = "import pipeline, pipeline.resources as r; print(pipeline.__file__); print(r.data_dir('configs'))"
    out = _run([str(venv / "bin" / "python"), "-c", code], tmp_path, _env()).stdout.split()
    for line in out:
        assert Path(line).resolve().is_relative_to(venv.resolve()), f"{line} is not inside the installed venv"


def test_installed_wheel_flags_the_rendered_cave_like_the_editable_install(venv: Path, tmp_path: Path) -> None:
    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(VALGUS, clips / VALGUS.name)
    results = {}
    for name, exe in (("wheel", venv / "bin" / "formreview"), ("editable", Path(sys.executable).parent / "formreview")):
        out = tmp_path / name
        _run([str(exe), "batch", str(clips), "-o", str(out), "--pose", "mediapipe", "--jobs", "1"], tmp_path, _env())
        results[name] = json.loads((out / VALGUS.name / "result.json").read_text())
    knee = {v["area"]: v["colour"] for v in results["wheel"]["verdicts"]}["knee_tracking"]
    assert knee == "red", f"the installed wheel read the rendered 20° knee cave as {knee}"
    assert results["wheel"] == results["editable"]


def test_missing_bands_stop_the_run_with_one_line(venv: Path, tmp_path: Path) -> None:
    site = Path(
        _run(
            [str(venv / "bin" / "python"), "-c", "import pipeline; print(pipeline.__file__)"], tmp_path, _env()
        ).stdout.strip()
    ).parent
    bands = site / "_data" / "configs" / "bands.toml"
    hidden = bands.with_suffix(".hidden")
    bands.rename(hidden)
    try:
        r = subprocess.run(
            [str(venv / "bin" / "formreview"), "batch", str(ROOT / "sample_videos"), "-o", str(tmp_path / "o")],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        hidden.rename(bands)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "bands.toml" in lines[0] and "missing" in lines[0], r.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").rglob("result.json"))
