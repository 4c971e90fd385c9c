"""工作台: the staff pages."""
