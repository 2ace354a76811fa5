"""Where a model may run, as a user chooses it: plain Python, so the command line's options load nothing heavy."""

from __future__ import annotations

from typing import Literal

#: ``auto``: CUDA when onnxruntime offers it, else the CPU.
ProviderChoice = Literal["auto", "cuda", "cpu"]
