"""Code shared by every app; this app has no models."""
