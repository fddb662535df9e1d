"""Shared fixtures: one example build and one browser per test run, and the hypothesis profiles."""
from __future__ import annotations

import functools
import os
import shutil
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# CI: derandomised and without deadlines, so a slow machine never flakes; `deep` is for long fuzz runs.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=60)
settings.register_profile("deep", deadline=None, max_examples=5000, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "dev"))


def require(condition: bool, reason: str) -> None:
    """Skip locally when a tool is missing; in CI a missing tool is a failure, never a skip."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required tool missing in CI: {reason}")
    pytest.skip(reason)


def shared_build(base: Path, worker_id: str, name: str, make: Callable[[Path], Path]) -> Path:
    """Run `make` once per test run, shared by every xdist worker through a file lock (read-only!).

    `base` is tmp_path_factory.getbasetemp(); workers share its parent folder.
    """
    from filelock import FileLock

    shared = base.parent if worker_id != "master" else base
    done = shared / f"{name}.done"
    with FileLock(str(shared / f"{name}.lock")):
        if not done.is_file():
            site = make(shared / name)
            done.write_text(str(site), encoding="utf-8")
    return Path(done.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The bundled example, built once per run into <shared>/example/www/sub/ (served at /sub/)."""
    from journeymap.build import build

    return shared_build(tmp_path_factory.getbasetemp(), worker_id, "example", lambda folder: build(ROOT, folder / "www" / "sub").site_dir)


@pytest.fixture(scope="session")
def example_file_site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The example built with use_directory_urls: false, for opening from file://."""
    from journeymap.build import build

    def make(folder: Path) -> Path:
        shutil.copytree(ROOT / "content", folder / "content")
        config = (ROOT / "site_config.yml").read_text(encoding="utf-8")
        (folder / "site_config.yml").write_text(config + "\nuse_directory_urls: false\n", encoding="utf-8")
        return build(folder).site_dir

    return shared_build(tmp_path_factory.getbasetemp(), worker_id, "example-files", make)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def static_server(directory: Path) -> Iterator[str]:
    """A threaded http.server on 127.0.0.1 serving `directory`; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def example_server(example_site: Path) -> Iterator[str]:
    """The example served under a sub-path: http://127.0.0.1:PORT/sub/."""
    with static_server(example_site.parent) as base:
        yield base + "sub/"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Debian Chromium per worker, driven by Playwright."""
    require(CHROMIUM.exists(), f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    """A fresh page that fails the test on any console error or uncaught exception."""
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield page
    context.close()
