"""Settings come from the environment, fail loudly, and pass `check --deploy` in production."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys

import pytest

from yiwang.env import SettingError, env_bool, env_int, env_str

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(60),
    "YIWANG_DATA_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    "ALLOWED_HOSTS": "zwfw.example.gov.cn",
    "DATABASE_URL": "sqlite:////tmp/yiwang-deploy-check.sqlite3",
}


def _run_yiwang(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Only what a production process would have: no test settings, and no DJANGO_ALLOW_ASYNC_UNSAFE
    # (set for the in-process browser tests; a deployment must never have it).
    dropped = ("YIWANG_", "SECRET_KEY", "DEBUG", "ALLOWED_", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "yiwang.cli", *args], env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = _run_yiwang(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_production_settings_hash_passwords_with_argon2():
    code = "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    result = _run_yiwang(["shell", "-v", "0", "-c", code], PRODUCTION_ENV)
    assert result.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher", result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "YIWANG_DATA_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_a_secret(missing: str):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _run_yiwang(["check"], env)
    assert result.returncode != 0
    assert missing in result.stderr
    assert "必须设置" in result.stderr


def test_a_short_data_key_is_refused_with_a_hint():
    result = _run_yiwang(["check"], {**PRODUCTION_ENV, "YIWANG_DATA_KEY": "c2hvcnQ="})
    assert result.returncode != 0
    assert "32 字节" in result.stderr


def test_secret_can_come_from_a_file(tmp_path, monkeypatch):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n", encoding="utf-8")
    monkeypatch.delenv("YW_TEST_SECRET", raising=False)
    monkeypatch.setenv("YW_TEST_SECRET_FILE", str(secret_file))
    assert env_str("YW_TEST_SECRET") == "from-a-file"


def test_value_and_file_together_is_an_error(tmp_path, monkeypatch):
    secret_file = tmp_path / "secret"
    secret_file.write_text("x", encoding="utf-8")
    monkeypatch.setenv("YW_TEST_SECRET", "y")
    monkeypatch.setenv("YW_TEST_SECRET_FILE", str(secret_file))
    with pytest.raises(SettingError, match="只能设置其中一个"):
        env_str("YW_TEST_SECRET")


def test_typed_helpers_refuse_malformed_values(monkeypatch):
    monkeypatch.setenv("YW_TEST_FLAG", "maybe")
    monkeypatch.setenv("YW_TEST_NUMBER", "ten")
    with pytest.raises(SettingError, match="不是布尔值"):
        env_bool("YW_TEST_FLAG")
    with pytest.raises(SettingError, match="不是整数"):
        env_int("YW_TEST_NUMBER", 1)
    monkeypatch.setenv("YW_TEST_FLAG", "on")
    assert env_bool("YW_TEST_FLAG") is True


def test_sqlite_default_uses_wal_and_a_busy_timeout():
    code = (
        "from django.db import connection; c = connection.cursor(); "
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA busy_timeout').fetchone()[0])"
    )
    env = {**PRODUCTION_ENV, "DATABASE_URL": "sqlite:////tmp/yiwang-wal-check.sqlite3"}
    result = _run_yiwang(["shell", "-v", "0", "-c", code], env)
    assert result.stdout.split() == ["wal", "20000"], result.stderr
