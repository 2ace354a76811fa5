"""Where training runs and in what precision: CUDA or CPU, bf16 autocast where the hardware has it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

#: CPU flags (``/proc/cpuinfo``) of bf16 matrix or vector units: Intel AMX, AVX-512 BF16.
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


def resolve_device(name: str) -> torch.device:
    """``"auto"`` is CUDA when available, else CPU; anything else is passed to torch."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def cpu_has_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU reports bf16 units (AMX or AVX-512 BF16); False where that cannot be read."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return False
    flags = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    return any(flag in flags for flag in BF16_CPU_FLAGS)


@dataclass(frozen=True)
class Precision:
    """How a training step computes: bf16 autocast (fp32 master weights) or plain fp32, and the memory layout."""

    amp_dtype: torch.dtype | None
    channels_last: bool

    @property
    def name(self) -> str:
        """For logs and model cards."""
        return ("bf16 autocast" if self.amp_dtype is not None else "fp32") + (" + channels_last" if self.channels_last else "")

    def autocast(self, device: torch.device) -> torch.autocast:
        """The autocast context for a forward pass on ``device``."""
        return torch.autocast(device.type, dtype=self.amp_dtype or torch.float32, enabled=self.amp_dtype is not None)


def training_precision(device: torch.device, choice: str = "auto") -> Precision:
    """bf16 + channels_last on CUDA with bf16 and on CPUs with AMX/AVX-512 BF16, fp32 elsewhere.

    ``choice`` is ``"auto"``, ``"bf16"`` or ``"fp32"`` (a forced choice still uses channels_last
    where it pays: on CUDA, and on the CPU with bf16).
    """
    if choice not in ("auto", "bf16", "fp32"):
        raise ValueError(f"precision must be auto, bf16 or fp32, not {choice!r}")
    if device.type == "cuda":
        bf16 = choice == "bf16" or (choice == "auto" and torch.cuda.is_bf16_supported())
        return Precision(torch.bfloat16 if bf16 else None, True)
    bf16 = choice == "bf16" or (choice == "auto" and cpu_has_bf16())
    return Precision(torch.bfloat16 if bf16 else None, bf16)
