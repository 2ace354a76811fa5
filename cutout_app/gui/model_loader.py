"""The one way the window and the batch dialog open a model: core's open_model with one error policy."""

from __future__ import annotations

from pathlib import Path

from cutout_app.core.engine import ProviderChoice
from cutout_app.core.errors import ModelError
from cutout_app.core.two_stage import Segmenter, open_model


def load_model(path: Path | None, provider: ProviderChoice = "auto", threads: int = 0) -> Segmenter:
    """The model at ``path`` (None: $CUTOUT_MODEL or the bundled one) on ``provider`` (``threads``: see ModelSession).

    Every reason the model cannot be used is a :class:`ModelError` whose message names it, so a caller
    catches one type and shows the message.
    """
    try:
        return open_model(path, provider, threads)
    except OSError as exc:  # an unreadable file or folder
        raise ModelError(f"Model '{path}' cannot be read: {exc.strerror or exc}") from exc
