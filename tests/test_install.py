"""A real install: a wheel built from a clean copy of the checkout, installed into a fresh venv, used from elsewhere.

Also the Linux desktop entry ("Open with cutout") and its icon.
"""

from __future__ import annotations

import configparser
import importlib.metadata
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import cv2
import numpy as np
import pytest
from icc_support import display_p3_profile, jpeg_with_profile

from cutout_app import desktop
from cutout_app.core.files import icc
from cutout_app.core.files.imageio import read_image
from cutout_app.core.paths import BUNDLE_DIR_NAME, PROJECT_ROOT, bundle_root, desktop_entry_path


def _clean_copy(dst: Path) -> Path:
    """What a clean clone holds: the files git tracks plus the new ones it does not ignore."""
    if not (PROJECT_ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs a git checkout")
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=PROJECT_ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        src = PROJECT_ROOT / name
        if src.is_file():
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / name)
    return dst


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = _clean_copy(tmp_path_factory.mktemp("checkout"))
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q", "-w", str(out)]
    # Build with this venv's setuptools when it is new enough (no download); else pip fetches it (build isolation).
    if int(importlib.metadata.version("setuptools").split(".")[0]) >= 68:
        command.append("--no-build-isolation")
    subprocess.run(command + [str(src)], check=True, cwd=out)
    (built,) = out.glob("cutout-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv holding the wheel, its dependencies seen from the test venv.

    The wheel goes in with --no-deps, and a .pth line appends the test venv's site-packages to the new
    venv's path: the dependencies (PySide6, onnxruntime, numba...) are hundreds of MB that the test venv
    already holds in the versions the wheel asks for, and CI should not download them again. A .pth line
    only appends a folder, so the test venv's own .pth files (its editable install of cutout) are not
    run, and the new venv's site-packages comes first: `import cutout_app` finds the wheel's copy.
    """
    venv = tmp_path_factory.mktemp("venv") / "fresh venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "--disable-pip-version-check", "-q", str(wheel)], check=True)  # fmt: skip
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())  # fmt: skip
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site / "test-venv-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return venv


def _run(venv: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CUTOUT_MODEL", "VIRTUAL_ENV")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_wheel_carries_model_translations_samples_and_desktop_files(wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    inside = f"cutout_app/{BUNDLE_DIR_NAME}/"
    for part in ("models/cutout/global.onnx", "models/cutout/refiner.onnx", "resources/samples/coffee.jpg",
                 "resources/translations/cutout_zh_CN.qm", "resources/cutout.desktop", "resources/icons/cutout.svg"):
        assert inside + part in names, part
    bundled = [n[len(inside):] for n in names if n.startswith(inside)]
    assert not [n for n in bundled if "textures" in n or n.endswith(".ts")]  # training material stays home
    assert sorted(n for n in bundled if n.endswith(".onnx")) == ["models/cutout/global.onnx", "models/cutout/refiner-int8.onnx",
                                                                 "models/cutout/refiner.onnx"]  # fmt: skip
    assert {"cutout/__init__.py", "cutout/_remove.py", "cutout/py.typed"} <= names  # import cutout, typed


def test_the_wheel_holds_no_training_teacher(wheel: Path) -> None:
    # The portrait matting teacher (issue 26) is used by `cutout train` only: its model is the user's file, never ours.
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if "modnet" in n.lower() or "photobooth" in n.lower()]
    assert not [n for n in names if n.endswith(".onnx") and "/models/cutout/" not in n]


def test_installed_library_cuts_out_the_sample_from_another_folder(fresh_venv: Path, tmp_path: Path) -> None:
    script = ("import cutout\n"
              "from cutout_app.core.paths import sample_photo_path\n"
              "png = cutout.remove(sample_photo_path().read_bytes(), session=cutout.Session(provider='cpu'))\n"
              "print(cutout.__file__, len(png), sep='\\n')")  # fmt: skip
    result = _run(fresh_venv, [str(fresh_venv / "bin" / "python"), "-c", script], tmp_path)
    assert result.returncode == 0, result.stderr
    where, size = result.stdout.splitlines()
    assert Path(where).is_relative_to(fresh_venv) and int(size) > 1000


def test_installed_cutout_segments_the_sample_from_another_folder(fresh_venv: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere else"
    elsewhere.mkdir()
    where = _run(fresh_venv, [str(fresh_venv / "bin" / "python"), "-c",
                              "import cutout_app.core.paths as p; print(p.MODELS_DIR); print(p.sample_photo_path())"],
                 elsewhere)  # fmt: skip
    assert where.returncode == 0, where.stderr
    models, sample = (Path(line) for line in where.stdout.splitlines())
    assert models.is_relative_to(fresh_venv) and sample.is_file() and sample.is_relative_to(fresh_venv)

    # The bundled sample, as a Display P3 photo: the profile must reach the cut-out.
    p3 = display_p3_profile()
    photo = elsewhere / "coffee p3.jpg"
    photo.write_bytes(jpeg_with_profile(read_image(sample).rgb8(), p3))
    result = _run(fresh_venv, [str(fresh_venv / "bin" / "cutout"), "segment", photo.name, "-o", "cut.png",
                               "--provider", "cpu"], elsewhere)  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = (elsewhere / "cut.png").read_bytes()
    rgba = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    source = read_image(photo)
    assert rgba.shape == (source.height, source.width, 4) and rgba.dtype == np.uint8
    rgba = cv2.cvtColor(rgba, cv2.COLOR_BGRA2RGBA)
    opaque, clear = rgba[..., 3] == 255, rgba[..., 3] == 0
    np.testing.assert_array_equal(rgba[opaque][:, :3], source.pixels[opaque])
    assert (rgba[clear][:, :3] == 0).all()
    assert icc.png_profile(data) == p3

    assert (fresh_venv / "bin" / "cutout-gui").is_file()
    gui = _run(fresh_venv, [str(fresh_venv / "bin" / "cutout-gui"), "--help"], elsewhere)
    assert gui.returncode == 0 and "cutout-gui" in gui.stdout


def test_desktop_entry_installs_and_opens_photos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    entry, icon = desktop.install()
    assert entry == tmp_path / "share" / "applications" / "cutout.desktop"
    assert icon.read_bytes() == (bundle_root() / "resources" / "icons" / "cutout.svg").read_bytes()
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.optionxform = str  # keys are case-sensitive
    parsed.read(entry, encoding="utf-8")
    section = parsed["Desktop Entry"]
    assert set(section["MimeType"].rstrip(";").split(";")) == {"image/jpeg", "image/png", "image/webp"}
    assert section["Icon"] == "cutout" and section["Type"] == "Application"
    command = shlex.split(section["Exec"])
    assert command[-1] == "%f" and Path(command[0]).is_file()

    # What a file manager does for "Open with cutout": the command with %f replaced by the photo.
    photo = tmp_path / "photo.jpg"
    shutil.copyfile(bundle_root() / "resources" / "samples" / "coffee.jpg", photo)
    shot = tmp_path / "shot.png"
    opened = subprocess.run(command[:-1] + [str(photo), "--screenshot", str(shot), "--provider", "cpu"],
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, capture_output=True, text=True,
                            timeout=600)  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    assert cv2.imread(str(shot)) is not None

    assert set(desktop.uninstall()) == {entry, icon} and not entry.exists()
    assert desktop_entry_path().read_text(encoding="utf-8").count("Exec=cutout-gui %f") == 1  # the template stays
