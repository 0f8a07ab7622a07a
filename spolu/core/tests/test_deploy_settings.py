"""Production settings pass Django's deployment checklist and refuse to start without a key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _run(extra_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOLU_")}
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _run(
        {
            "SPOLU_SECRET_KEY": "k3y-" + "x7Qp!9zR" * 7,
            "SPOLU_ALLOWED_HOSTS": "spolu.example.org",
            "SPOLU_FIELD_KEY": FIELD_KEY,
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr


FIELD_KEY = "0hWmlq3Pj0b9-qz0ko8Xf3vE0W7sZt3b1m3n2kWQbQk="


def test_production_refuses_to_start_without_a_field_key():
    result = _run(
        {"SPOLU_SECRET_KEY": "k3y-" + "x7Qp!9zR" * 7, "SPOLU_ALLOWED_HOSTS": "spolu.example.org"}
    )
    assert result.returncode != 0
    assert "SPOLU_FIELD_KEY" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _run({"SPOLU_ALLOWED_HOSTS": "spolu.example.org"})
    assert result.returncode != 0
    assert "SPOLU_SECRET_KEY" in result.stderr


def test_bad_boolean_is_a_clear_error():
    result = _run({"SPOLU_DEBUG": "maybe"})
    assert result.returncode != 0
    assert "SPOLU_DEBUG must be 0 or 1" in result.stderr
