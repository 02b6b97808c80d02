"""Starting `streamlit run` on a free port and Chromium's launch settings: shared by the browser
tests (tests/e2e) and the first-table bench (bench/first_table.py), so both drive the app alike."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1800}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(url: str) -> bool:
    """True once Streamlit's health endpoint answers ok."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except OSError:
        return False


def hermetic_aws_env() -> dict[str, str]:
    """Dummy credentials and no user AWS config: the app never reaches a real account."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                  "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                  "AWS_EC2_METADATA_DISABLED": "true"}


def start_streamlit(script: str | Path, port: int, output: IO[str] | int = subprocess.DEVNULL,
                    *, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`streamlit run script` headless on 127.0.0.1:port, no file watcher, no usage stats."""
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
         "--client.toolbarMode", "viewer"],
        cwd=cwd, stdout=output, stderr=subprocess.STDOUT, env=env or hermetic_aws_env())


def wait_healthy(process: subprocess.Popen[bytes], url: str, timeout: float) -> bool:
    """Poll the health endpoint until ok; False if the process died or the time ran out."""
    deadline = time.monotonic() + timeout
    while not healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
