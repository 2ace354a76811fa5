"""Training: data pairing and splitting, tiles aligned with their targets, a real short run, cancellation."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest
import torch

from cutout_app.core.datasets import find_pairs, split_pairs
from cutout_app.core.datasets.synthetic import write_dataset
from cutout_app.core.errors import Cancelled, CutoutError
from cutout_app.core.files.imageio import read_mask
from cutout_app.core.inference.model_info import METADATA_KEY, ModelInfo
from cutout_app.core.progress import CancelToken
from cutout_app.model.checkpoint import info_from_checkpoint_meta, load_checkpoint
from cutout_app.model.export_onnx import export_onnx, max_abs_difference
from cutout_app.model.net_inputs import normalise
from cutout_app.model.tile_data import CoarseMix, TileDataset, centre_tile, random_tile
from cutout_app.model.train import TrainConfig, he_init, train, train_step
from cutout_app.model.unet import UNet

TILE, OUT = 92, 52  # depth-2 valid U-Net: margin 20


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 synthetic 96x96 composites on disk."""
    return write_dataset(tmp_path_factory.mktemp("train") / "synth", 8, size=(96, 96), seed=1)


def _config(data: Path, out: Path, **kw: object) -> TrainConfig:
    args = dict(base_width=4, depth=2, tile_size=TILE, batch_size=2, epochs=2, workers=0, lr=3e-3, seed=0)
    args.update(kw)
    return TrainConfig(data_dirs=[data], out=out, **args)  # type: ignore[arg-type]


def _write(path: Path, array: np.ndarray) -> None:
    ok, data = cv2.imencode(path.suffix, array)
    assert ok
    path.write_bytes(data.tobytes())


def test_pairs_match_stems_across_extensions(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    img = np.zeros((10, 12, 3), np.uint8)
    _write(tmp_path / "images" / "a.jpg", img)
    _write(tmp_path / "images" / "b.png", img)
    _write(tmp_path / "images" / "no_mask.png", img)
    _write(tmp_path / "masks" / "a.png", np.zeros((10, 12), np.uint8))
    _write(tmp_path / "masks" / "b.bmp", np.ones((10, 12), np.uint8))  # 0/1 labels
    pairs = find_pairs([tmp_path])
    assert [(p.image.name, p.mask.name) for p in pairs] == [("a.jpg", "a.png"), ("b.png", "b.bmp")]
    assert read_mask(pairs[1].mask).max() == 255
    with pytest.raises(CutoutError):
        find_pairs([tmp_path / "images"])


def test_split_is_deterministic_disjoint_and_complete(dataset: Path) -> None:
    pairs = find_pairs([dataset])
    train_a, val_a = split_pairs(pairs, 0.25, seed=0)
    train_b, val_b = split_pairs(list(reversed(pairs)), 0.25, seed=0)
    assert train_a == train_b and val_a == val_b
    assert val_a and train_a and not set(train_a) & set(val_a)
    assert set(train_a) | set(val_a) == set(pairs)
    # Each pair's side depends only on its own key: a subset splits the same way.
    _, val_full = split_pairs(pairs, 0.5, seed=0)
    _, val_sub = split_pairs(pairs[:6], 0.5, seed=0)
    assert 0 < len(val_sub) < 6
    assert set(val_sub) == set(val_full) & set(pairs[:6])


def test_tiles_keep_the_target_aligned_with_the_image() -> None:
    """The target must be the centre of the tile that the output covers, after scale and flips."""
    rng = np.random.default_rng(0)
    for size in [(60, 70), (140, 180)]:  # smaller than the tile (mirror-padded) and larger
        gray = rng.integers(0, 256, size, dtype=np.uint8)
        rgb = np.dstack([gray, gray, gray])
        for _ in range(10):
            img, target = random_tile(rgb, gray, TILE, OUT, rng)
            assert img.shape == (TILE, TILE, 3) and target.shape == (OUT, OUT)
            m = (TILE - OUT) // 2
            assert np.array_equal(target, img[m : m + OUT, m : m + OUT, 0])
        img, target = centre_tile(rgb, gray, TILE, OUT)
        assert np.array_equal(target, img[20:72, 20:72, 0])


def test_normalisation_matches_the_engine_formula() -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (2, 8, 9, 3), dtype=np.uint8)
    info = ModelInfo()
    got = normalise(torch.from_numpy(rgb), info).numpy()
    expected = ((rgb / 255.0 - np.array(info.mean)) / np.array(info.std)).transpose(0, 3, 1, 2)
    assert got.shape == (2, 3, 8, 9)
    assert np.abs(got - expected).max() < 1e-5


def test_loss_drops_on_a_fixed_batch(dataset: Path) -> None:
    torch.manual_seed(0)
    ds = TileDataset(find_pairs([dataset])[:4], TILE, OUT)
    images, masks = zip(*(ds[i] for i in range(4)))
    net = UNet(base_width=4, depth=2)
    he_init(net)
    info = net.info(tile_size=TILE)
    x = normalise(torch.stack(images), info)
    y = torch.stack(masks).unsqueeze(1).float() / 255
    optimizer = torch.optim.Adam(net.parameters(), lr=5e-3)
    losses = [float(train_step(net, optimizer, x, y)) for _ in range(30)]
    assert np.mean(losses[-3:]) < 0.75 * np.mean(losses[:3]), losses


def test_training_writes_a_loadable_checkpoint_that_exports(dataset: Path, tmp_path: Path) -> None:
    steps: list[tuple[int, int]] = []
    lines: list[str] = []
    result = train(_config(dataset, tmp_path / "run", training_data_note="unit test"), progress=lambda d, t: steps.append((d, t)), log=lines.append)
    assert result.checkpoint == tmp_path / "run" / "best.pt" and result.checkpoint.is_file()
    assert (result.n_train, result.n_val, result.epochs_run) == (6, 2, 2)
    assert 0.0 <= result.best_val_iou <= 1.0
    assert steps[0] == (1, 6) and steps[-1] == (6, 6)
    assert len(lines) == 3 and "epoch 2/2" in lines[-1]
    assert (tmp_path / "run" / "history.json").is_file()

    net, meta = load_checkpoint(result.checkpoint)
    assert (net.depth, net.base_width, net.padding) == (2, 4, "valid")
    assert meta["tile_size"] == TILE and meta["val_iou"] == pytest.approx(result.best_val_iou)
    assert "6 train / 2 validation" in meta["training_data"] and "unit test" in meta["training_data"]

    info = info_from_checkpoint_meta(net, meta)
    assert (info.tile_size, info.depth, info.name, info.version) == (TILE, 2, "cutout-unet", "1")
    assert info.extra["val_iou"] == f"{result.best_val_iou:.4f}"
    onnx_path = export_onnx(net, tmp_path / "m.onnx", info)
    assert max_abs_difference(net, onnx_path) < 1e-4
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    assert ModelInfo.from_json(session.get_modelmeta().custom_metadata_map[METADATA_KEY]) == info


def test_training_is_reproducible(dataset: Path, tmp_path: Path) -> None:
    a = train(_config(dataset, tmp_path / "a", epochs=1), log=lambda _: None)
    b = train(_config(dataset, tmp_path / "b", epochs=1), log=lambda _: None)
    assert a.history[0]["train_loss"] == b.history[0]["train_loss"]
    sa, sb = load_checkpoint(a.checkpoint)[0].state_dict(), load_checkpoint(b.checkpoint)[0].state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_cancelling_raises_and_writes_nothing(dataset: Path, tmp_path: Path) -> None:
    token = CancelToken()
    done: list[int] = []

    def progress(step: int, total: int) -> None:
        done.append(step)
        if step == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        train(_config(dataset, tmp_path / "run", steps_per_epoch=5), progress=progress, cancel=token, log=lambda _: None)
    assert done == [1, 2]
    assert not (tmp_path / "run" / "best.pt").exists()


def test_bad_settings_are_refused(dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(CutoutError, match="next allowed size is 92"):
        train(_config(dataset, tmp_path / "run", tile_size=90), log=lambda _: None)
    with pytest.raises(CutoutError):
        train(_config(tmp_path / "nothing", tmp_path / "run"), log=lambda _: None)


def test_fine_tuning_starts_from_the_checkpoint_weights(dataset: Path, tmp_path: Path) -> None:
    first = train(_config(dataset, tmp_path / "a", epochs=1), log=lambda _: None)
    start_weights = load_checkpoint(first.checkpoint)[0].state_dict()
    # lr 0: the fine-tuned net keeps the weights it started from, which random init would not give.
    tuned = train(_config(dataset, tmp_path / "b", epochs=1, lr=0.0, seed=5, init=first.checkpoint), log=lambda _: None)
    tuned_weights = load_checkpoint(tuned.checkpoint)[0].state_dict()
    assert all(torch.equal(start_weights[k], tuned_weights[k]) for k in start_weights)
    assert load_checkpoint(tuned.checkpoint)[1]["train_config"]["init"] == str(first.checkpoint)


def test_fine_tuning_refuses_a_checkpoint_of_another_shape(dataset: Path, tmp_path: Path) -> None:
    first = train(_config(dataset, tmp_path / "a", epochs=1), log=lambda _: None)
    with pytest.raises(CutoutError, match="width-4"):
        train(_config(dataset, tmp_path / "b", base_width=8, init=first.checkpoint), log=lambda _: None)
    assert not (tmp_path / "b" / "best.pt").exists()


def test_cli_train_then_export(dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cutout_app.cli import EXIT_OK, main

    run = tmp_path / "run"
    args = ["train", str(dataset), "-o", str(run), "--stage", "plain", "--base-width", "4", "--depth", "2", "--tile-size", str(TILE),
            "--batch-size", "2", "--epochs", "1", "--steps-per-epoch", "2", "--workers", "0", "--time-budget", "60",
            "--note", "cli test data"]
    assert main(args) == EXIT_OK
    assert f"wrote {run / 'best.pt'}" in capsys.readouterr().out
    assert main(["export-onnx", str(run / "best.pt"), "-o", str(tmp_path / "m.onnx")]) == EXIT_OK
    assert main(["info", "--model", str(tmp_path / "m.onnx")]) == EXIT_OK
    assert "cli test data" in capsys.readouterr().out


def test_a_refiner_tile_takes_the_global_nets_probability_where_the_photo_carries_it() -> None:
    rng = np.random.default_rng(0)
    photo = np.dstack([np.full((120, 140, 3), 90, np.uint8), np.full((120, 140), 77, np.uint8)])  # plane 4: global
    mask = np.zeros((120, 140), np.uint8)
    mask[30:90, 40:100] = 255
    img, _ = random_tile(photo, mask, TILE, OUT, rng, coarse=True, mix=CoarseMix(1.0, 0.0, (1.0,)))
    assert img.shape == (TILE, TILE, 4) and np.all(img[..., 3] == 77)
    img, _ = random_tile(photo, mask, TILE, OUT, rng, coarse=True, mix=CoarseMix(0.0, 0.0, (1.0,)))
    assert not np.all(img[..., 3] == 77)  # a degraded copy of the true mask instead
    img, _ = random_tile(photo, mask, TILE, OUT, rng, coarse=False)
    assert img.shape == (TILE, TILE, 3)


def test_a_refiner_trains_on_a_global_nets_own_predictions(dataset: Path, tmp_path: Path, tiny_two_stage_path: Path) -> None:
    config = TrainConfig(data_dirs=[dataset], out=tmp_path / "run", base_width=4, depth=2, tile_size=TILE, batch_size=2,
                         epochs=1, steps_per_epoch=2, workers=0, coarse_input=True,
                         global_model=tiny_two_stage_path / "global.onnx", global_share=0.5)
    result = train(config, log=lambda _: None)
    _, meta = load_checkpoint(result.checkpoint)
    assert "the global net's own probability (global.onnx) on 50% of the tiles" in meta["training_data"]
