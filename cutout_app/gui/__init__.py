"""The PySide6 window. Views and workers only; the image work lives in cutout_app.core."""
