"""Image work without Qt or torch: I/O, tiling, inference, mask editing, matting, export, batch."""
