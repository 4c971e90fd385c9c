"""Fixed-window attempt counters in the cache: the one way public endpoints limit how often one address (or
one target) may try something — progress look-ups, licence verification, anonymous 12345 filings, Open311.

Counters live in Django's cache. With the default local-memory cache they are per process; a deployment with
several processes sets a shared ``CACHES`` backend to make the limits exact.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The caller's address as a counter key part (hashed: keys never hold an IP address in clear)."""
    ip = request.META.get("REMOTE_ADDR") or "unknown"
    return hashlib.sha256(ip.encode("utf-8")).hexdigest()[:32]


def attempt_count(key: str, *, window_seconds: int) -> int:
    """Count one attempt under ``key`` in the current window and return the count, this attempt included."""
    if cache.add(key, 1, timeout=window_seconds):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        return 1


def attempt_allowed(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt; True while no more than ``limit`` attempts were made in the window."""
    return attempt_count(key, window_seconds=window_seconds) <= limit
