"""Fixtures and collection rules shared by every test module, made for parallel runs (pytest-xdist).

- Browser tests (anything under tests/e2e/) are marked `e2e` and put in one xdist group, so
  `make test` can run the rest on every core and the browser tests on their own, serially.
- The longest modules start first (a `slow` mark, then last run's seconds), so the workers
  finish together.
- Each worker gets its own data root with its own copy of the demo group: groups, events and
  filters that one test creates never meet another worker's, in this process or in the
  console/CLI it starts.
- Hypothesis runs without deadlines (timing is load here, not correctness).
- The demo group is built once (a file lock guards it between workers) and copied into each
  worker; a small trained group is built once per worker.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

# One OpenBLAS thread per process, set before anything imports numpy (scoring does): tests run on
# every core already (xdist workers, browser tests beside them), and OpenBLAS's spinning threads
# on an oversubscribed machine tripled the CPU time of training (tests/test_training.py: 29 s of
# CPU with its default threads, 12 s with one, in one run on the shared 2-core machine).
# Subprocesses the tests start (CLI, endpoint, `streamlit run`) inherit it. Set it to override.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from scoring import paths  # noqa: E402

# The AppTest fixtures, for every test module: caches cleared around each test, app.py run on
# every rerun as the server does, one scan for installed components and one bytecode cache for
# the scripts per process (all autouse), and the stubbed live-AWS source on request.
from tests.app_support import (  # noqa: F401
    clear_streamlit_caches,
    compile_each_script_once,
    live_aws,
    run_app_py_on_every_rerun,
    scan_for_components_once,
)

# No per-example deadline: on a shared 2-core machine a slow example is load, not a bug, and a
# timing check would make the suite flaky (no test here asserts on time).
settings.register_profile("console", deadline=None)
settings.load_profile("console")

E2E_DIR = Path(__file__).resolve().parent / "e2e"
BROWSER_GROUP = "browser"


DURATIONS_KEY = "console/module-seconds"
#: Each module's seconds in a full run, shipped so that a fresh clone (no .pytest_cache, as in CI)
#: also starts the longest modules first; the cache's own figures, once there, win.
SHIPPED_SECONDS = Path(__file__).with_name("module_seconds.json")


def _shipped_seconds() -> dict[str, float]:
    import json

    try:
        return dict(json.loads(SHIPPED_SECONDS.read_text()))
    except (OSError, ValueError):
        return {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark browser tests by where they live (new ones included); start the longest modules first.

    A module holding a `slow` test goes first, then modules by the seconds they took last time
    (recorded in .pytest_cache; tests/module_seconds.json on a fresh clone), so parallel workers
    do not end with one long test alone. A
    module's tests stay together, so its module-scoped fixtures are set up once per worker.
    Every worker computes the same order from the same cache, as xdist requires.
    """
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group(BROWSER_GROUP))
    seconds = _shipped_seconds() | (config.cache.get(DURATIONS_KEY, {}) if config.cache else {})
    slow_modules = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}

    def key(item: pytest.Item) -> tuple[bool, float]:
        module = item.nodeid.split("::")[0]
        return module not in slow_modules, -seconds.get(module, 0.0)

    items.sort(key=key)  # stable: the collected order within a module and among equals


_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add up each module's seconds (on the xdist controller, which sees every report)."""
    module = report.nodeid.split("::")[0]
    _seconds[module] = _seconds.get(module, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _seconds and session.config.cache is not None and not hasattr(session.config, "workerinput"):
        known = session.config.cache.get(DURATIONS_KEY, {})
        session.config.cache.set(DURATIONS_KEY, known | {m: round(s, 2) for m, s in _seconds.items()})


#: The demo group as `python -m scoring.demo` builds it, once for every worker (before the patch).
SHARED_DEMO = Path(paths.DEMO_DIR)


@pytest.fixture(scope="session", autouse=True)
def worker_data_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This worker's data root: `paths.DATA_ROOT` here and CONSOLE_DATA_ROOT for subprocesses.

    The worker's `demo` group (`paths.DEMO_DIR`, in the root) is its own copy of the shared build,
    so events recorded and filters created in the demo by one worker never reach another's tests;
    other groups a test creates stay in the worker too.
    """
    root = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paths, "DATA_ROOT", root)
        patch.setattr(paths, "DEMO_DIR", root / "demo")
        patch.setenv("CONSOLE_DATA_ROOT", str(root))
        if _demo_is_built(SHARED_DEMO):
            _copy_demo(root / "demo")
        yield root


def _demo_is_built(folder: Path) -> bool:
    from scoring.demo import is_complete

    return is_complete(folder)


def _copy_demo(to: Path) -> None:
    """The shared demo's files, without its recorded events or locks (3.8 MB: milliseconds)."""
    import shutil

    from scoring.events import EVENTS_FILE

    shutil.copytree(SHARED_DEMO, to, ignore=shutil.ignore_patterns(EVENTS_FILE, ".*"),
                    dirs_exist_ok=True)


@pytest.fixture(scope="session")
def demo_dir(worker_data_root: Path) -> Path:
    """The worker's demo group: the shared one generated and trained once (a file lock guards
    parallel workers), then copied into the worker's data root."""
    from scoring.demo import ensure_demo

    mine = worker_data_root / "demo"
    if not _demo_is_built(mine):
        ensure_demo(SHARED_DEMO)
        _copy_demo(mine)
    return ensure_demo(mine)


@pytest.fixture(scope="session")
def endpoint_url(demo_dir: Path) -> Iterator[str]:
    """The local Personalize endpoint on the worker's demo group, on a free loopback port."""
    from scoring.server import serve_in_thread

    server, url = serve_in_thread(demo_dir, "127.0.0.1", 0)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def small_group(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small dataset group (tests/support/small_data), validated and trained once per worker.

    For tests that need a trained group other than the demo and do not test training itself;
    treat it as read-only (copy it to change it).
    """
    from scoring import user_groups
    from tests.support import small_data

    out = tmp_path_factory.mktemp("small") / "small"
    user_groups.create_group(small_data.files(), "small", out=out)
    return out

