"""The U-Net's geometry: the paper's sizes, and the margin/alignment contract the tiled engine relies on."""

from __future__ import annotations

import pytest
import torch

from cutout_app.core.inference.model_info import ModelInfo, unet_margin, valid_input_for_output, valid_output_size
from cutout_app.model.unet import UNet


def _net(depth: int, padding: str = "valid", width: int = 2, seed: int = 0) -> UNet:
    torch.manual_seed(seed)
    return UNet(base_width=width, depth=depth, padding=padding).double().eval()


def test_paper_sizes_572_to_388() -> None:
    net = UNet(base_width=1, depth=4).eval()  # the output size does not depend on the width
    with torch.no_grad():
        out = net(torch.zeros(1, 3, 572, 572))
    assert out.shape == (1, 1, 388, 388)
    assert ModelInfo(depth=4).margin == 92 == unet_margin(4)
    assert ModelInfo(depth=4).output_size(572) == 388


def test_same_padding_keeps_the_size() -> None:
    net = _net(depth=2, padding="same")
    with torch.no_grad():
        out = net(torch.zeros(2, 3, 64, 48, dtype=torch.float64))
    assert out.shape == (2, 1, 64, 48)


@pytest.mark.parametrize("depth", [2, 3])
def test_size_helpers_agree_with_forward_passes(depth: int) -> None:
    net = _net(depth=depth, width=1)
    align = 2**depth
    allowed = []
    with torch.no_grad():
        for size in range(2 * align, 26 * align, 2):
            expected = valid_output_size(size, depth)
            if expected is None:
                # Not allowed: the pooling grid breaks and the output is not input - 2 * margin.
                try:
                    odd = net(torch.zeros(1, 3, size, size, dtype=torch.float64))
                except RuntimeError:
                    continue
                assert size - odd.shape[-1] != 2 * unet_margin(depth)
                continue
            allowed.append(size)
            out = net(torch.zeros(1, 3, size, size + align, dtype=torch.float64))
            assert out.shape[-2:] == (expected, valid_output_size(size + align, depth))
            assert size - out.shape[-2] == 2 * unet_margin(depth)
    assert len(allowed) >= 8
    for want in (1, 5, 17, 40, 61):
        size = valid_input_for_output(want, depth)
        got = valid_output_size(size, depth)
        assert got is not None and got >= want
        # ... and it is the smallest such input.
        assert all((valid_output_size(s, depth) or 0) < want for s in range(1, size))


def test_aligned_tiles_reproduce_the_whole_image_output() -> None:
    """What the overlap-tile engine relies on: a tile of the input whose origin is a multiple of
    2**depth gives exactly the whole-image output for its centre (tile size - 2 * margin)."""
    depth, margin = 2, 20
    net = _net(depth, width=3, seed=1)
    assert ModelInfo(depth=depth).margin == margin
    x = torch.randn(1, 3, 120, 136, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        full = net(x)
        assert full.shape[-2:] == (80, 96)
        tile = 60
        out = tile - 2 * margin
        for y0, x0 in [(0, 0), (4, 8), (20, 36), (60, 76)]:
            part = net(x[..., y0 : y0 + tile, x0 : x0 + tile])
            assert torch.allclose(part, full[..., y0 : y0 + out, x0 : x0 + out], atol=1e-12)
        # A misaligned origin sees a different pooling grid and does not reproduce it.
        part = net(x[..., 2 : 2 + tile, 2 : 2 + tile])
        assert not torch.allclose(part, full[..., 2 : 2 + out, 2 : 2 + out], atol=1e-6)


def test_margin_is_the_receptive_field_of_an_aligned_output_window() -> None:
    """Perturbing input pixels farther than the margin from an aligned output window leaves it
    unchanged; perturbing a pixel exactly ``margin`` away from it changes it."""
    depth, margin = 2, 20
    net = _net(depth, width=3, seed=2)
    x = torch.randn(1, 3, 120, 120, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    y0, x0, out = 32, 28, 24  # output window [y0, y0+out) x [x0, x0+out); y0, x0 multiples of 4
    # The window's output pixel (i, j) sits over input (i + margin, j + margin); its context is
    # input [y0, y0 + out + 2*margin) x [x0, x0 + out + 2*margin).
    inside = torch.zeros_like(x, dtype=torch.bool)
    inside[..., y0 : y0 + out + 2 * margin, x0 : x0 + out + 2 * margin] = True

    def window(inp: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return net(inp)[..., y0 : y0 + out, x0 : x0 + out]

    base = window(x)
    far = torch.where(inside, x, x + 5 * torch.randn_like(x))
    assert torch.allclose(window(far), base, atol=1e-12)

    for row, col, out_row in [(y0, x0 + margin + 5, 0), (y0 + out + 2 * margin - 1, x0 + margin + 5, out - 1)]:
        near = x.clone()
        near[..., row, col] += 5.0  # exactly `margin` rows from the window's first / last output row
        changed = (window(near) - base).abs()[0, 0]
        assert changed[out_row].max() > 1e-9
