"""``make lab`` starts JupyterLab as root and as a normal user, at the repository root, so
that both ``chapters/`` and ``exercises/`` are in its file browser.

The command is read from the Makefile (``make -n lab``, which runs nothing), started on a
free local port without a browser, asked for both folders through the contents API, and
stopped: at most a couple of minutes on a loaded machine."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.prefix)


def lab_command() -> list[str]:
    """The command ``make lab`` runs, with this environment's virtual environment."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    proc = subprocess.run(["make", "-n", "--no-print-directory", "lab", f"VENV={VENV}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    [line] = [ln for ln in proc.stdout.splitlines() if " lab" in ln and "jupyter" in ln]
    return shlex.split(line)


def test_make_lab_opens_the_repository_root_and_allows_root_only_when_root():
    cmd = lab_command()
    assert Path(cmd[0]).name == "jupyter" and cmd[1] == "lab", cmd
    assert f"--ServerApp.root_dir={ROOT}" in cmd, cmd
    assert ("--allow-root" in cmd) == (os.geteuid() == 0), cmd
    assert not any(arg.rstrip("/") == "chapters" for arg in cmd), cmd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_server(server: subprocess.Popen, log: Any) -> None:
    """Stop a JupyterLab started in its own session (and all it started), close its log."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
    log.close()


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read().decode())


def test_make_lab_serves_chapters_and_exercises(tmp_path):
    cmd = lab_command()
    if not Path(cmd[0]).exists():
        pytest.skip(f"{cmd[0]} is not installed")
    port, token = _free_port(), secrets.token_hex(16)
    cmd += ["--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    # A throw-away Jupyter config/runtime folder: nothing of the user's is read or written.
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}/api/contents"
    try:
        listing, deadline = None, time.monotonic() + 120
        while time.monotonic() < deadline:
            if server.poll() is not None:
                break
            try:
                listing = _get(f"{base}?token={token}&content=1")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        assert listing is not None, (
            f"JupyterLab did not answer (exit code {server.poll()}):\n"
            + (tmp_path / "lab.log").read_text()[-3000:])
        top = {item["name"]: item["type"] for item in listing["content"]}
        assert top.get("chapters") == "directory" and top.get("exercises") == "directory", top
        for folder, suffix in (("chapters", ".ipynb"), ("exercises", "_exercises.ipynb")):
            names = {i["name"] for i in _get(f"{base}/{folder}?token={token}&content=1")["content"]}
            expected = {p.name for p in (ROOT / folder).glob(f"*{suffix}")}
            assert expected and expected <= names, (folder, names)
    finally:
        stop_server(server, log)
