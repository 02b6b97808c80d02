"""kill -9 of the endpoint during PutEvents: every acknowledged event survives, no half event shows.

`python -m scoring.server` runs in its own process on a copy of the demo group; four threads
send PutEvents (over real HTTP, as boto3 serialises them) as fast as it answers; the process is
SIGKILLed mid-stream, restarted on the same folder, and the store is read back.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scoring import events
from scoring.events import EventStore
from scoring.local_group import open_group

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(folder: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "scoring.server", "--data", str(folder), "--port", str(port)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/ping")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("the endpoint did not start")


def _put(conn: http.client.HTTPConnection, tracking_id: str, user: str, item: str) -> int:
    body = json.dumps({"trackingId": tracking_id, "userId": user, "sessionId": f"s-{user}",
                       "eventList": [{"eventType": "watch", "itemId": item, "sentAt": time.time(),
                                      "properties": json.dumps({"device": "x" * 300})}]})
    conn.request("POST", "/events", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    return response.status


def test_kill_9_mid_put_events_keeps_every_acknowledged_event(demo_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(demo_dir, folder, ignore=shutil.ignore_patterns(".*", events.EVENTS_FILE))
    tracking_id = open_group(folder).event_trackers[0].tracking_id
    port = _free_port()
    server = _start(folder, port)
    acknowledged: list[str] = []
    stop = threading.Event()

    def send(worker: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        n = 0
        while not stop.is_set():
            item = f"w{worker}-{n}"
            try:
                if _put(conn, tracking_id, f"user-{worker}", item) == 200:
                    acknowledged.append(item)
            except (OSError, http.client.HTTPException):
                return  # the server died under us: this request was never acknowledged
            n += 1

    threads = [threading.Thread(target=send, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(server.pid, signal.SIGKILL)
    server.wait(10)
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acknowledged) >= 50, "too few events were sent before the kill to test anything"

    # Read back as a fresh process would: every acknowledged event, each whole.
    stored = EventStore(folder).all_events()
    assert set(acknowledged) <= set(stored["ITEM_ID"])
    assert (stored["EVENT_TYPE"] == "watch").all() and stored["TIMESTAMP"].gt(0).all()
    assert set(stored["USER_ID"]) <= {f"user-{w}" for w in range(4)}

    # Restarted on the same folder: it serves, appends after any torn tail, and loses nothing.
    server = _start(folder, port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        assert _put(conn, tracking_id, "user-0", "after-restart") == 200
    finally:
        server.terminate()
        server.wait(10)
    lines = (folder / events.EVENTS_FILE).read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(events.decode_line(line) for line in lines[:-1])
    again = EventStore(folder).all_events()
    assert set(acknowledged) | {"after-restart"} <= set(again["ITEM_ID"])
