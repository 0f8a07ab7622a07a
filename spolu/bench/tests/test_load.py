"""run_load against a throwaway `python -m http.server` on 127.0.0.1 (no database)."""

import socket
import subprocess
import sys
import time

from spolu.bench.load import run_load
from spolu.bench.measure import free_port, stop


def _wait_for_port(port: int, server: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"http.server exited with code {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"http.server did not listen on port {port}")


def test_run_load_counts_requests_and_failures(tmp_path):
    (tmp_path / "here.txt").write_text("hello\n")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, server)
        plan = [
            {"name": "here", "path": "/here.txt", "cookie": "sessionid=abc", "weight": 1},
            {"name": "missing", "path": "/missing.txt", "cookie": "", "weight": 1},
        ]
        result = run_load(f"http://127.0.0.1:{port}", plan, seconds=2, users=2)
    finally:
        stop(server)

    assert result["requests"] > 0
    assert result["failures"] > 0
    assert result["rps"] > 0
    assert set(result["per_name"]) == {"here", "missing"}
    missing = result["per_name"]["missing"]
    assert missing["requests"] > 0
    assert missing["failures"] == missing["requests"]
    assert result["per_name"]["here"]["failures"] == 0
