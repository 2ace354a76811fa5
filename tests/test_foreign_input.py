"""What a folder and its file names must never do to cutout: run code in it, or act on the terminal.

Real runs of the ``cutout`` command in child processes, from a folder that holds planted modules, on
photos whose names and contents carry control characters.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import fuzz_support
import pytest
from conftest import write_photo

from cutout_app.core.errors import ImageReadError, printable
from cutout_app.core.files import decode_image

ROOT = Path(__file__).resolve().parents[1]
POSIX = os.name == "posix"
#: Modules the decoder child imports as it starts (json for its protocol, the others on the way).
PLANTED = ("json", "tempfile", "queue", "numpy")


def cutout_command() -> list[str]:
    """The ``cutout`` command as a user runs it: the installed script (its folder, not the current one, is on
    its path); else the module with ``-P``, which keeps the current folder off the parent's path the same way."""
    script = Path(sys.executable).with_name("cutout")
    return [str(script)] if script.is_file() else [sys.executable, "-P", "-m", "cutout_app.cli"]


def _env() -> dict[str, str]:
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if os.path.isabs(p)]
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *inherited]))


def test_modules_planted_in_the_working_folder_never_run_in_the_decoder(tmp_path: Path, tiny_model_path: Path) -> None:
    """A json.py where the user runs ``cutout batch`` ran inside the decoder child, and the batch exited 0."""
    work, marks = tmp_path / "work", tmp_path / "ran"
    marks.mkdir()
    for name in PLANTED:
        (work / f"{name}.py").parent.mkdir(exist_ok=True)
        (work / f"{name}.py").write_text(f"open({str(marks / name)!r}, 'w').write('planted code ran')\n")
    write_photo(work / "photos" / "a.jpg", 0)
    write_photo(work / "photos" / "b.png", 1)
    proc = subprocess.run([*cutout_command(), "batch", "photos", "out", "--model", str(tiny_model_path),
                           "--workers", "1", "--threads", "1"],
                          cwd=work, env=_env(), capture_output=True, text=True, timeout=300)  # fmt: skip
    assert sorted(p.name for p in marks.iterdir()) == [], proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in (work / "out").glob("*.png")) == ["a.png", "b.png"]


# --- control characters ---------------------------------------------------------------------------

ESC = "\x1b"


def test_printable_escapes_what_acts_on_a_terminal_and_keeps_every_script() -> None:
    assert printable(f"a{ESC}[2Jb\nc\rd\x07") == "a\\x1b[2Jb\\x0ac\\x0dd\\x07"
    assert printable("mirror\u202egpj.png") == "mirror\\u202egpj.png"  # a right-to-left override
    assert printable(os.fsdecode(b"raw\xffbyte")) == "raw\\xffbyte"  # a name that is not UTF-8
    assert printable("été 照片 фото\u3000x y") == "été 照片 фото\u3000x y"


def test_a_chunk_type_from_the_file_reaches_no_message_raw() -> None:
    """A PNG chunk type ESC[2J, cut short: the reason names the chunk, and clears no terminal."""
    chunks, _ = fuzz_support.png_chunks_and_tail(fuzz_support.seed_corpus()["rgb.png"])
    hostile = fuzz_support.png_from_chunks([chunks[0], (f"{ESC}[2J".encode(), b"x" * 100)])[:-60]
    with pytest.raises(ImageReadError) as info:
        decode_image(hostile, f"photo{ESC}]0;owned{ESC}\\.png")
    message = str(info.value)
    assert ESC not in message
    assert "\\x1b[2J chunk past the end" in message and "photo\\x1b]0;owned" in message


@pytest.mark.skipif(not POSIX, reason="control characters in file names")
def test_batch_and_segment_print_no_control_character_from_names_or_contents(tmp_path: Path, tiny_model_path: Path) -> None:
    src = tmp_path / "in"
    write_photo(src / "fine.jpg", 0)
    chunks, _ = fuzz_support.png_chunks_and_tail(fuzz_support.seed_corpus()["rgb.png"])
    hostile = fuzz_support.png_from_chunks([chunks[0], (f"{ESC}[2J".encode(), b"x" * 100)])[:-60]
    (src / f"clear{ESC}[2J{ESC}[31m.png").write_bytes(hostile)
    (src / "new\nline.jpg").write_bytes(b"\xff\xd8\xff" + struct.pack(">H", 0xE000))
    (src / os.fsdecode(b"latin1-\xe9t\xe9.jpg")).write_bytes(b"")
    batch = subprocess.run([*cutout_command(), "batch", str(src), str(tmp_path / "out"), "--model", str(tiny_model_path),
                            "--workers", "1", "--threads", "1"], env=_env(), capture_output=True, timeout=300)  # fmt: skip
    assert batch.returncode == 1, batch.stderr
    for stream in (batch.stdout, batch.stderr):
        assert b"\x1b" not in stream and b"\xe9" not in stream
    text = batch.stdout.decode()
    assert "clear\\x1b[2J\\x1b[31m.png" in text and "new\\x0aline.jpg" in text and "latin1-\\xe9t\\xe9.jpg" in text
    assert "Done: 1," in text and "failed: 3" in text
    segment = subprocess.run([*cutout_command(), "segment", str(src / f"clear{ESC}[2J{ESC}[31m.png"), "-o",
                              str(tmp_path / "one.png"), "--model", str(tiny_model_path)],
                             env=_env(), capture_output=True, timeout=300)  # fmt: skip
    assert segment.returncode == 2 and b"\x1b" not in segment.stdout + segment.stderr
    assert b"\\x1b[2J chunk past the end of the file" in segment.stderr
