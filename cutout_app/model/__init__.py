"""The nets in PyTorch, their training and their ONNX export. Imports torch: keep it off the app's start-up path.

- nets: ``unet`` (the paper's U-Net: the refiner and plain tiled nets), ``efficientnet_lite`` (the pretrained
  encoder) and ``encoder_unet`` (the global net on it); ``checkpoint`` saves and rebuilds either;
- data: ``global_data`` (the global net's batches: views, composites, clicks), ``tile_data`` (tiles for the
  tiled nets), ``degrade`` (coarse masks for the refiner), ``net_inputs`` (normalisation, colour jitter);
- training: ``losses``, ``device`` (CPU/CUDA and bf16), ``run_folder`` (checkpoints, history, schedule),
  the loops ``train_global`` and ``train`` (tiled nets);
- ``export_onnx``: the ONNX file with cutout's metadata, checked against torch.
"""
