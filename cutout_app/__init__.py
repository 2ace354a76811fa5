"""cutout: cut subjects out of photos with a tiled U-Net."""

__version__ = "0.1.0"
