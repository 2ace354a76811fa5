"""The U-Net in PyTorch, its training and its ONNX export. Imports torch: keep it off the app's start-up path."""
