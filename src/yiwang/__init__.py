"""Yiwang (一网): an integrated government service platform (一体化政务服务平台)."""

__version__ = "0.1.0"
