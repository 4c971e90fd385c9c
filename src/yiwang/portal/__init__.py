"""门户: the public pages for citizens and enterprises (mobile-first)."""
