"""The materials storage comes from the environment: files on disk by default, S3 when a bucket is set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SHOW = (
    "import json; from django.conf import settings; from django.core.files.storage import storages; "
    "s = storages['materials']; "
    "print(json.dumps({'config': settings.STORAGES['materials'], 'class': type(s).__module__ + '.' + type(s).__name__, "
    "'bucket': getattr(s, 'bucket_name', None), 'endpoint': getattr(s, 'endpoint_url', None), "
    "'location': str(s.location), 'max': settings.YIWANG_UPLOAD_MAX_BYTES}))"
)


def _materials(env: dict[str, str]) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("YIWANG_FILES_", "YIWANG_UPLOAD_"))}
    result = subprocess.run(
        [sys.executable, "-m", "yiwang.cli", "shell", "-v", "0", "-c", SHOW],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_default_is_the_blob_file_system_storage_under_var(tmp_path: Path):
    shown = _materials({"YIWANG_VAR_DIR": str(tmp_path)})
    assert shown["class"] == "yiwang.files.storage.BlobFileSystemStorage"
    assert shown["location"] == str(tmp_path / "files")
    assert shown["config"]["OPTIONS"]["file_permissions_mode"] == 0o640
    assert shown["max"] == 20 * 1024 * 1024


def test_setting_a_bucket_selects_s3_with_endpoint_region_and_keys(tmp_path: Path):
    secret = tmp_path / "s3-secret"
    secret.write_text("minio-secret-from-a-file\n", encoding="utf-8")
    shown = _materials(
        {
            "YIWANG_FILES_S3_BUCKET": "yiwang-materials",
            "YIWANG_FILES_S3_ENDPOINT_URL": "https://minio.internal:9000",
            "YIWANG_FILES_S3_REGION": "cn-north-1",
            "YIWANG_FILES_S3_ACCESS_KEY_ID": "yiwang",
            "YIWANG_FILES_S3_SECRET_ACCESS_KEY_FILE": str(secret),
            "YIWANG_FILES_S3_PREFIX": "linyi/materials",
            "YIWANG_UPLOAD_MAX_BYTES": "10485760",
        }
    )
    assert shown["class"] == "storages.backends.s3.S3Storage"
    assert (shown["bucket"], shown["endpoint"], shown["location"]) == (
        "yiwang-materials",
        "https://minio.internal:9000",
        "linyi/materials",
    )
    assert shown["config"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "yiwang-materials",
            "endpoint_url": "https://minio.internal:9000",
            "region_name": "cn-north-1",
            "access_key": "yiwang",
            "secret_key": "minio-secret-from-a-file",
            "location": "linyi/materials",
            "addressing_style": "path",
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": True,
        },
    }
    assert shown["max"] == 10 * 1024 * 1024


def test_without_keys_s3_uses_the_default_credential_chain():
    shown = _materials({"YIWANG_FILES_S3_BUCKET": "b"})
    options = shown["config"]["OPTIONS"]
    assert (options["access_key"], options["secret_key"], options["endpoint_url"]) == (None, None, None)
