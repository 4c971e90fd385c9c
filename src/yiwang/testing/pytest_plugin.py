"""pytest plugin (loaded with ``-p yiwang.testing.pytest_plugin`` before Django is configured).

Sets a production-like environment for the test run: DEBUG off, real secrets given, HTTPS redirects off
(the test client speaks plain HTTP). Values already in the environment win, so
``DATABASE_URL=postgres://… pytest`` runs the same suite on PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
import tempfile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
# A fixed test key: the value is public, so it must never be used outside tests.
os.environ.setdefault("YIWANG_DATA_KEY", "dGVzdC1vbmx5LWtleS10ZXN0LW9ubHkta2V5LXRlc3Q=")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("YIWANG_SSL_REDIRECT", "0")
os.environ.setdefault("YIWANG_SECURE_COOKIES", "0")
os.environ.setdefault("YIWANG_VAR_DIR", tempfile.mkdtemp(prefix="yiwang-test-var-"))
os.environ.setdefault("YIWANG_LOG_LEVEL", "WARNING")
