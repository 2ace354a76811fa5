"""An output folder someone sent: links, FIFOs and devices planted where the batch writes are refused, and
their targets are left untouched. Real symbolic links, real FIFOs, the real batch on a tiny model."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import write_photo

from cutout_app.core.batch.local import run_pipelined
from cutout_app.core.batch.manifest import MANIFEST_NAME, Manifest
from cutout_app.core.batch.plan import BatchOptions, plan_batch
from cutout_app.core.errors import ExportError
from cutout_app.core.files.filelock import CLAIM_SUFFIX, claim
from cutout_app.core.files.regular import NotRegularFileError, open_regular, read_regular

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="symbolic links, FIFOs and devices")

#: A photo name that is a shell command inside double quotes.
HOSTILE = "cat$(touch PWNED)`touch PWNED2`.jpg"


@pytest.fixture(scope="module")
def engine(tiny_model_path: Path):  # noqa: ANN201
    from cutout_app.core.inference.engine import SegmentationEngine

    return SegmentationEngine(tiny_model_path, provider="cpu", threads=1)


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    photos, out = tmp_path / "in", tmp_path / "out"
    write_photo(photos / HOSTILE)
    write_photo(photos / "plain.jpg", seed=2)
    out.mkdir()
    return photos, out


def test_a_manifest_planted_as_a_link_is_refused_and_its_target_untouched(tmp_path: Path, engine, monkeypatch) -> None:  # noqa: ANN001
    photos, out = _folders(tmp_path)
    bashrc = tmp_path / "home" / ".bashrc"
    bashrc.parent.mkdir()
    bashrc.write_text("alias ll='ls -l'\n")
    (out / MANIFEST_NAME).symlink_to(bashrc)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExportError, match="link"):
        run_pipelined(engine, plan_batch(photos, out), BatchOptions(), workers=1)
    assert bashrc.read_text() == "alias ll='ls -l'\n"
    assert not list(tmp_path.rglob("PWNED*"))


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_manifest_that_is_a_fifo_or_a_device_is_refused_at_once(tmp_path: Path, engine, kind: str) -> None:  # noqa: ANN001
    photos, out = _folders(tmp_path)
    if kind == "fifo":
        os.mkfifo(out / MANIFEST_NAME)  # nobody writes: reading it would block the batch for ever
    else:
        (out / MANIFEST_NAME).symlink_to("/dev/zero")  # reading it would never end
    with pytest.raises(ExportError, match="FIFO" if kind == "fifo" else "link"):
        run_pipelined(engine, plan_batch(photos, out), BatchOptions(), workers=1)


def test_manifest_records_hold_no_shell_substitution(tmp_path: Path, engine, monkeypatch) -> None:  # noqa: ANN001
    """Even where a line could reach a shell, a hostile name holds no ``$`` and no backquote; it reads back the same."""
    photos, out = _folders(tmp_path)
    monkeypatch.chdir(tmp_path)
    report = run_pipelined(engine, plan_batch(photos, out), BatchOptions(), workers=1)
    assert len(report.done) == 2
    text = (out / MANIFEST_NAME).read_bytes()
    assert b"$" not in text and b"`" not in text
    sources = {json.loads(line)["source"] for line in text.splitlines()}
    assert str(photos.resolve() / HOSTILE) in sources or str(photos / HOSTILE) in sources
    assert {Path(e.source).name for e in Manifest(out).entries().values()} == {HOSTILE, "plain.jpg"}
    assert not list(tmp_path.rglob("PWNED*"))


def test_a_dangling_claim_link_creates_nothing_outside(tmp_path: Path, engine) -> None:  # noqa: ANN001
    photos, out = _folders(tmp_path)
    target = tmp_path / "elsewhere" / "created-by-cutout"
    target.parent.mkdir()
    (out / f".plain.png{CLAIM_SUFFIX}").symlink_to(target)
    report = run_pipelined(engine, plan_batch(photos, out), BatchOptions(), workers=1)
    assert not target.exists() and (out / f".plain.png{CLAIM_SUFFIX}").is_symlink()
    assert (out / "plain.png").is_file() and len(report.done) == 2
    with claim(out / "plain.png") as mine:  # the claim itself: the link is neither followed nor removed
        assert mine
    assert not target.exists() and (out / f".plain.png{CLAIM_SUFFIX}").is_symlink()


def test_a_folder_link_planted_inside_the_output_folder_is_not_written_through(tmp_path: Path, engine) -> None:  # noqa: ANN001
    photos, out = tmp_path / "in", tmp_path / "out"
    write_photo(photos / "sub" / "a.jpg")
    write_photo(photos / "b.jpg", seed=3)
    elsewhere = tmp_path / "config"
    elsewhere.mkdir()
    out.mkdir()
    (out / "sub").symlink_to(elsewhere)
    report = run_pipelined(engine, plan_batch(photos, out), BatchOptions(), workers=1)
    assert [r.src.name for r in report.failed] == ["a.jpg"] and "link" in (report.failed[0].error or "")
    assert [r.src.name for r in report.done] == ["b.jpg"]
    assert list(elsewhere.iterdir()) == []


def test_the_opener_refuses_links_fifos_and_devices(tmp_path: Path) -> None:
    regular = tmp_path / "file"
    regular.write_bytes(b"abc")
    link = tmp_path / "link"
    link.symlink_to(regular)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert read_regular(link, 10) == b"abc"  # reading through a link the user made is fine
    with pytest.raises(NotRegularFileError, match="link"):
        open_regular(link, os.O_RDWR | os.O_APPEND, follow=False)
    with pytest.raises(NotRegularFileError, match="FIFO"):
        read_regular(fifo, 10)
    with pytest.raises(NotRegularFileError, match="device"):
        read_regular("/dev/zero", 10)
    with pytest.raises(OSError, match="at most 2"):
        read_regular(regular, 2)
    assert read_regular(regular, 2, prefix=True) == b"ab"
    assert regular.read_bytes() == b"abc"


def test_two_batches_of_same_named_photos_into_one_folder_never_skip_silently(tmp_path: Path, tiny_model_path: Path,
                                                                              capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    from cutout_app.cli import EXIT_FAILED, EXIT_OK, main

    first, second, out = tmp_path / "shoot-1", tmp_path / "shoot-2", tmp_path / "out"
    write_photo(first / "photo.jpg", seed=1)
    write_photo(second / "photo.jpg", seed=2)  # another photo, the same name
    write_photo(second / "other.jpg", seed=3)
    args = ["--model", str(tiny_model_path), "--provider", "cpu"]
    assert main(["batch", str(first), str(out), *args]) == EXIT_OK
    written = (out / "photo.png").read_bytes()
    capsys.readouterr()
    assert main(["batch", str(second), str(out), *args]) == EXIT_FAILED
    report = capsys.readouterr().out
    assert "photo.jpg" in report and "cut out from another photo" in report and "shoot-1" in report
    assert (out / "photo.png").read_bytes() == written and (out / "other.png").is_file()
    assert main(["batch", str(first), str(out), *args]) == EXIT_OK  # the first batch's record still stands
    assert "skipped (output exists): 1" in capsys.readouterr().out


def test_fifos_and_devices_in_an_input_folder_are_listed_as_failed(tmp_path: Path, engine) -> None:  # noqa: ANN001
    photos = tmp_path / "in"
    write_photo(photos / "real.jpg")
    os.mkfifo(photos / "pipe.jpg")
    (photos / "zero.png").symlink_to("/dev/zero")
    report = run_pipelined(engine, plan_batch(photos, tmp_path / "out"), BatchOptions(), workers=1)
    failed = {r.src.name: r.error or "" for r in report.failed}
    assert sorted(failed) == ["pipe.jpg", "zero.png"]
    assert "FIFO" in failed["pipe.jpg"] and "device" in failed["zero.png"]
    assert [r.src.name for r in report.done] == ["real.jpg"]
