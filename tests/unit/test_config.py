"""Settings come from STUDIO_* variables and flags; a bad value stops start-up with one sentence."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from server.config import ENV_VARS, FLAGS, ConfigError, load_settings


def test_defaults_are_single_process_sqlite() -> None:
    settings = load_settings({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.resolved_database_url == "sqlite:///data/studio.sqlite"
    assert settings.redis_url == "" and settings.comfy_urls == ["http://127.0.0.1:8188"]


def test_environment_then_flags() -> None:
    env = {
        "STUDIO_PORT": "9000",
        "STUDIO_DATABASE_URL": "postgres://u@db:5432/studio",
        "STUDIO_REDIS_URL": "redis://cache:6379/0",
        "STUDIO_COMFY_URL": "http://gpu1:8188, http://gpu2:8188",
        "STUDIO_UPLOAD_MAX_SIDE": "1024",
        "STUDIO_OUTPUT_RETENTION_DAYS": "7",
    }
    settings = load_settings(env, overrides={"port": "9100", "host": None})
    assert settings.port == 9100 and settings.host == "127.0.0.1"
    assert settings.comfy_urls == ["http://gpu1:8188", "http://gpu2:8188"]
    assert (settings.upload_max_side, settings.output_retention_days) == (1024, 7)
    assert settings.resolved_database_url == "postgres://u@db:5432/studio"


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"STUDIO_PORT": "eighty"}, "STUDIO_PORT / --port: 'eighty' is not valid"),
        ({"STUDIO_PORT": "70000"}, "STUDIO_PORT / --port"),
        ({"STUDIO_UPLOAD_MAX_BYTES": "0"}, "STUDIO_UPLOAD_MAX_BYTES"),
        ({"STUDIO_DATABASE_URL": "mysql://x/y"}, "neither sqlite:///<path> nor postgres://"),
        ({"STUDIO_REDIS_URL": "localhost:6379"}, "must start with redis://"),
        ({"STUDIO_COMFY_URL": "gpu1:8188"}, "must start with http://"),
        ({"STUDIO_COMFY_URL": "http://[::1"}, "STUDIO_COMFY_URL / --comfy-url: 'http://[::1' is not a URL (Invalid IPv6 URL)"),
        ({"STUDIO_DATABASE_URL": "postgres://u:pw@db:99999/x"}, "'postgres://u:***@db:99999/x' is not a URL (Port out of range"),
    ],
)
def test_bad_values_are_one_sentence(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    assert words in str(error.value)
    assert "\n" not in str(error.value)


def _refuses_x(env: str) -> bool:
    try:
        load_settings({env: "x"})
    except ConfigError:
        return True
    return False


# Every setting that refuses "x": the numbers, the URLs (a host or a folder may well be called x).
REFUSING_X = [env for env in sorted(ENV_VARS) if _refuses_x(env)]


@pytest.mark.parametrize("env", REFUSING_X)
def test_a_refused_setting_names_its_variable_and_only_a_flag_that_exists(env: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({env: "x"})
    field = ENV_VARS[env]
    assert f"Invalid setting {env}" in str(error.value)
    assert re.findall(r"--[a-z][a-z-]*", str(error.value)) == ([FLAGS[field]] if field in FLAGS else [])


def test_cli_refuses_to_start_with_a_bad_setting() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "studio", "serve", "--port", "x"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "studio: Invalid setting STUDIO_PORT / --port: 'x' is not valid (expected int, got str)."


def test_cli_help() -> None:
    result = subprocess.run([sys.executable, "-m", "studio", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "serve" in result.stdout and "migrate" in result.stdout


def test_the_log_level_and_format_are_taken_in_any_case() -> None:
    settings = load_settings({"STUDIO_LOG_LEVEL": "warning", "STUDIO_LOG_FORMAT": "JSON"})
    assert (settings.log_level, settings.log_format) == ("WARNING", "json")
    with pytest.raises(ConfigError, match="STUDIO_LOG_LEVEL"):
        load_settings({"STUDIO_LOG_LEVEL": "loud"})
