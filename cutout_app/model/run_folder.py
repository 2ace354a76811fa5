"""What a training run writes into its folder, and the learning-rate schedule both training loops follow."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

#: The checkpoint with the best validation score.
CHECKPOINT_NAME = "best.pt"
#: The latest checkpoint, with what a resumed run needs (the global net's loop).
LAST_NAME = "last.pt"
#: The run's history of validation checks (JSON).
HISTORY_NAME = "history.json"


def learning_rate(base: float, step: int, progress: float, warmup: int) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to 1% of ``base`` as ``progress`` goes 0 -> 1."""
    warm = min(1.0, (step + 1) / warmup) if warmup else 1.0
    cosine = 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return base * warm * cosine


def plain_config(config: Any) -> dict[str, object]:
    """A training config dataclass as JSON-able plain values (checkpoints are loaded with ``weights_only=True``)."""
    return {k: ([str(p) for p in v] if k == "data_dirs" else str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}
