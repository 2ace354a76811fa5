"""Candidate outputs of the global net, and fine-tuning an exported global net: recovery, BatchNorm, SAM's rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from cutout_app.core.errors import CutoutError
from cutout_app.model.encoder_unet import EncoderUNet
from cutout_app.model.export_onnx import SCORES_NAME, export_onnx, max_abs_difference
from cutout_app.model.losses import candidate_loss, mask_iou
from cutout_app.model.onnx_weights import calibrate_batchnorm, freeze_batchnorm, net_from_onnx, onnx_info
from cutout_app.model.train_global import GlobalTrainConfig, build_net

LITE0 = "efficientnet-lite0"
SIZE = 64


def _random_net(candidates: int = 0, seed: int = 0) -> EncoderUNet:
    torch.manual_seed(seed)
    net = EncoderUNet(LITE0, in_channels=6, candidates=candidates)
    for module in net.modules():  # statistics and weights far from their defaults, so nothing is the identity
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
        if isinstance(module, torch.nn.Conv2d) and module.weight.abs().max() == 0:
            module.weight.data.normal_(0, 0.05)
    return net.eval()


def _input(seed: int = 1, batch: int = 2) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((batch, 6, SIZE, SIZE)).astype(np.float32)
    x[:, 3:] = x[:, 3:] > 1.0  # click disks and a previous mask are 0/1 maps
    return x


def _export(net: EncoderUNet, path: Path) -> Path:
    return export_onnx(net, path, net.info(role="global", input_size=SIZE, tile_size=SIZE, click_radius=3.0))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[EncoderUNet, Path]:
    net = _random_net()
    return net, _export(net, tmp_path_factory.mktemp("onnx") / "global.onnx")


def test_a_net_rebuilt_from_its_onnx_file_computes_what_the_file_does(exported: tuple[EncoderUNet, Path]) -> None:
    net, path = exported
    rebuilt = net_from_onnx(path)
    x = _input()
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]
    with torch.no_grad():
        again = torch.sigmoid(rebuilt(torch.from_numpy(x))).numpy()
        original = torch.sigmoid(net(torch.from_numpy(x))).numpy()
    assert np.abs(again - got).max() < 1e-5
    assert np.abs(again - original).max() < 1e-5


def test_new_candidates_start_as_copies_of_output_zero(exported: tuple[EncoderUNet, Path]) -> None:
    _, path = exported
    net = net_from_onnx(path, candidates=3)
    with torch.no_grad():
        logits, iou = net.forward_all(torch.from_numpy(_input()))
    assert logits.shape == (2, 4, SIZE, SIZE) and iou is not None and iou.shape == (2, 4)
    for k in range(1, 4):
        assert torch.equal(logits[:, k], logits[:, 0])


def test_calibrated_batchnorm_keeps_the_function_and_has_real_statistics(exported: tuple[EncoderUNet, Path]) -> None:
    _, path = exported
    net = net_from_onnx(path)
    x = torch.from_numpy(_input())
    with torch.no_grad():
        before = net(x)
    calibrate_batchnorm(net, [torch.from_numpy(_input(seed)) for seed in range(3)])
    with torch.no_grad():
        after = net.eval()(x)
    assert torch.allclose(before, after, atol=1e-4)
    norm = net.encoder._bn0
    assert norm.running_var.max() > 0.0 and not torch.allclose(norm.running_var, torch.full_like(norm.running_var, 1 - norm.eps))


def test_frozen_batchnorm_stays_in_eval_mode_through_train() -> None:
    net = _random_net()
    freeze_batchnorm(net)
    net.train()
    norms = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert net.training and norms and not any(m.training for m in norms)


def test_a_net_with_candidates_exports_both_outputs_and_rebuilds(tmp_path: Path) -> None:
    net = _random_net(candidates=3)
    torch.nn.init.normal_(net.cand_coarse.weight, std=0.1)  # candidates that differ from output 0
    path = _export(net, tmp_path / "global.onnx")
    assert onnx_info(path).candidates == 3
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["probability", SCORES_NAME]
    assert max_abs_difference(net, path, size=SIZE) < 1e-4
    rebuilt = net_from_onnx(path)
    x = torch.from_numpy(_input())
    with torch.no_grad():
        a, b = net.forward_all(x), rebuilt.forward_all(x)
    assert torch.allclose(a[0], b[0], atol=1e-4) and torch.allclose(a[1], b[1], atol=1e-4)


def test_training_starts_from_an_onnx_file_and_refuses_another_encoder(exported: tuple[EncoderUNet, Path], tmp_path: Path) -> None:
    _, path = exported
    net = build_net(GlobalTrainConfig(data_dirs=[], out=tmp_path, init=path, candidates=3))
    assert net.candidates == 3
    with pytest.raises(CutoutError):
        build_net(GlobalTrainConfig(data_dirs=[], out=tmp_path, init=path, encoder="efficientnet-lite2"))


def test_sams_rule_charges_the_best_candidate_plus_the_hinted_one() -> None:
    target = torch.zeros(2, 1, 8, 8)
    target[:, :, 2:6, 2:6] = 1.0
    good, bad = target * 20 - 10, -target * 20 + 10  # logits: right and inverted
    logits = torch.cat([bad, good, bad], dim=1)
    plain = candidate_loss(logits, target, torch.tensor([-1, -1]), hint_weight=0.0)
    hinted = candidate_loss(logits, target, torch.tensor([1, 0]), hint_weight=0.5)
    assert plain.max() < 0.01  # the best candidate is right
    assert hinted[0] < 0.01 < hinted[1]  # hint 1 names the right one, hint 0 a wrong one
    assert torch.allclose(mask_iou(logits, target)[0], torch.tensor([0.0, 1.0, 0.0]))
