"""What held in the issue 13 review, guarded so it keeps holding.

- concurrent CreateFilter/DeleteFilter from 4 processes lose nothing;
- kill -9 never corrupts campaigns.json;
- credentials never appear in pages or logs.
(Endpoint limits, loopback binds, JSON 4xx: tests/test_security_endpoint.py; importer and
traversal: tests/test_security_imports.py.)
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from scoring import aws, paths
from tests.app_support import new_app

ROOT = Path(__file__).resolve().parent.parent
WORKER = textwrap.dedent("""
    import sys
    import scoring
    from scoring import arns
    folder, tag, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    control = scoring.client("personalize", folder)
    group = arns.local_arn("dataset-group", control.group.name)
    expr = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")'
    for n in range(rounds):
        keep, drop = f"{tag}-keep-{n}", f"{tag}-drop-{n}"
        control.create_filter(name=drop, datasetGroupArn=group, filterExpression=expr)
        control.create_filter(name=keep, datasetGroupArn=group, filterExpression=expr)
        control.delete_filter(filterArn=arns.local_arn("filter", drop))
        print("ok", flush=True)
""")


@pytest.fixture
def group(demo_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "demo-copy"
    shutil.copytree(demo_dir, folder)
    return folder


def _filters(folder: Path) -> list[str]:
    return sorted(f["name"] for f in json.loads((folder / paths.CAMPAIGNS_FILE).read_text())["filters"])


def test_four_processes_creating_and_deleting_filters_lose_nothing(group: Path) -> None:
    before = _filters(group)
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(group), f"p{n}", "1"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(4)]
    outcomes = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outcomes
    assert _filters(group) == sorted(before + [f"p{n}-keep-0" for n in range(4)])


def test_kill_9_never_corrupts_campaigns_json(group: Path) -> None:
    before = _filters(group)
    for attempt in range(4):  # bounded: 4 kills at different moments
        proc = subprocess.Popen([sys.executable, "-c", WORKER.replace("keep", "k" + str(attempt)), str(group),
                                 f"k{attempt}", "3"], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        proc.stdout.readline()  # one round done: now it is writing
        time.sleep(0.01 * attempt)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        config = json.loads((group / paths.CAMPAIGNS_FILE).read_text())  # always whole JSON
        names = [f["name"] for f in config["filters"]]
        assert set(before) <= set(names) and config["campaigns"]
        # what was there stays; leave room for the next attempt (10 filters per group at most)
        extra = [n for n in names if n not in before]
        config["filters"] = [f for f in config["filters"] if f["name"] not in extra]
        (group / paths.CAMPAIGNS_FILE).write_text(json.dumps(config))


def test_credentials_never_appear_in_pages_or_logs(monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    key_id, secret, token = "AKIAHELDCHECK0000001", "held-check-secret-value", "held-check-session-token"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    monkeypatch.setattr(aws, "default_region", lambda: "us-east-1")
    caplog.set_level(logging.DEBUG, logger="scoring")
    caplog.set_level(logging.INFO)
    from scoring import server

    srv, url = server.serve_in_thread(None, "127.0.0.1", 0, verbose=True)
    try:
        at = new_app()
        at.query_params.update({"source": "aws", "region": "us-east-1"})
        at.run()
        at.text_input(key="aws_endpoint").input(url).run()
        texts: list[str] = []
        for path in ("pages/test_campaign.py", "pages/campaign.py", "pages/filters.py"):
            at.switch_page(path).run()
            assert not at.exception
            texts.append(str(at._tree))
        if [b for b in at.button if b.key == "submit"]:
            at.text_input(key="user_id").input("1")
            at.button(key="submit").click().run()
            texts.append(str(at._tree))
    finally:
        srv.shutdown(grace=2)
    shown = "\n".join(texts)
    assert "demo-user-personalization" in shown  # the pages did talk to the endpoint
    for value in (key_id, secret, token):
        assert value not in shown
        assert value not in caplog.text
