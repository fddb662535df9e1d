"""Shared fixtures: one example build and one browser per test run, and the hypothesis profiles."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

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


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The bundled example, built once per run and shared by every xdist worker (read-only!)."""
    from filelock import FileLock

    from journeymap.build import build

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if worker_id != "master" else base
    target = shared / "example-site"
    with FileLock(str(shared / "example-site.lock")):
        if not (target / "index.html").is_file():
            build(ROOT, target)
    return target


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
