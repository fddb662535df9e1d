"""`journeymap serve` (generator/serve.py): first build, error page instead of a hung server, recovery,
and live reload in a real browser."""
from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest


from helpers import TOUCHPOINT, free_port, make_site, tree_bytes, wait_for
from journeymap import serve as serve_module
from journeymap.build import build
from journeymap.output import MARKER

BROKEN = "---\ntitle: Pays at the till\nstage: nowhere\n---\n"




@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Path, serve_module.Session, str]]:
    """A small site served with live reload on a free port, in a background thread."""
    project = make_site(tmp_path / "project")
    session = serve_module.start(project, "127.0.0.1", free_port())
    thread = threading.Thread(target=session.server.serve, daemon=True)  # type: ignore[attr-defined]
    thread.start()
    url = f"http://127.0.0.1:{session.server.server_address[1]}/"  # type: ignore[attr-defined]
    wait_for(lambda: _get(url) is not None)
    yield project, session, url
    session.close()
    thread.join(timeout=10)


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except urllib.error.HTTPError as error:  # a 404 still has a body
        return error.read().decode("utf-8")
    except OSError:
        return None


def test_builder_writes_an_error_page_and_recovers(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    project = make_site(tmp_path / "project", {TOUCHPOINT: BROKEN})
    site_dir = tmp_path / "served"
    builder = serve_module.Builder(project, site_dir)
    request.addfinalizer(lambda: builder.close(wait=True))  # its state folder lives in the system's tmp
    builder()  # never raises, even on the first build
    assert builder.failed
    page = (site_dir / "index.html").read_text(encoding="utf-8")
    assert "Build failed" in page and "JM104" in page and "nowhere" in page
    assert "content/journeys/j/touchpoints/01-pay.md:3:" in page
    assert builder.not_found(404) == (site_dir / "index.html").read_bytes()
    assert (site_dir / MARKER).is_file()
    (project / TOUCHPOINT).write_text("---\ntitle: Pays at the till\nstage: buy\n---\n", encoding="utf-8")
    builder()
    assert not builder.failed
    assert "Pays at the till" in (site_dir / "journeys/j/touchpoints/pay/index.html").read_text(encoding="utf-8")
    assert (site_dir / "pagefind" / "pagefind.js").is_file()
    assert b"Page not found" in (builder.not_found(404) or b"")
    # a broken build after a good one replaces every page, so any open tab reloads into the error
    (project / TOUCHPOINT).write_text(BROKEN, encoding="utf-8")
    builder()
    assert "Build failed" in (site_dir / "journeys/j/touchpoints/pay/index.html").read_text(encoding="utf-8")
    # fixed again: the next build (in place, over the error pages) equals a build from scratch
    (project / TOUCHPOINT).write_text("---\ntitle: Pays at the till\nstage: buy\n---\n", encoding="utf-8")
    builder()
    if builder.indexing is not None:
        builder.indexing.join(120)
    assert not builder.failed
    build(project, tmp_path / "clean")
    assert tree_bytes(site_dir) == tree_bytes(tmp_path / "clean")


def test_builder_catches_internal_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        request: pytest.FixtureRequest) -> None:
    project = make_site(tmp_path / "project")
    builder = serve_module.Builder(project, tmp_path / "served")
    request.addfinalizer(lambda: builder.close(wait=True))

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr("journeymap.site.SiteRenderer.shared_unit", boom)  # build.py renders unit by unit
    builder()
    assert builder.failed
    assert "renderer exploded" in (tmp_path / "served" / "index.html").read_text(encoding="utf-8")


def test_binds_loopback_and_warns_when_wider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    assert serve_module.is_loopback("127.0.0.1") and serve_module.is_loopback("localhost")
    assert serve_module.is_loopback("::1") and not serve_module.is_loopback("0.0.0.0")
    import inspect

    assert inspect.signature(serve_module.serve).parameters["host"].default == "127.0.0.1"
    started: list[str] = []

    class Fake:
        def __init__(self) -> None:
            self.server = self

        def serve(self, open_in_browser: bool = False) -> None:
            started.append("served")

        def close(self) -> None:
            started.append("closed")

    monkeypatch.setattr(serve_module, "start", lambda *a, **k: Fake())
    monkeypatch.setattr(serve_module, "_setup_logging", lambda: None)
    monkeypatch.setattr(logging.getLogger("journeymap.serve"), "propagate", True)
    with caplog.at_level(logging.WARNING, logger="journeymap.serve"):
        serve_module.serve(tmp_path, host="0.0.0.0", port=8123)
    assert started == ["served", "closed"]
    assert any("serving on 0.0.0.0" in record.getMessage() for record in caplog.records)


def test_serves_pages_and_the_error_page(served: tuple[Path, serve_module.Session, str]) -> None:
    project, session, url = served
    home = _get(url)
    assert home is not None and "Buying a jacket" in home and "livereload" in home
    (project / TOUCHPOINT).write_text(BROKEN, encoding="utf-8")
    wait_for(lambda: "Build failed" in (_get(url + "journeys/j/touchpoints/pay/") or ""))
    assert "Build failed" in (_get(url + "no/such/page/") or "")


@pytest.mark.browser
@pytest.mark.slow
def test_live_reload_in_the_browser(served: tuple[Path, serve_module.Session, str], page: object) -> None:
    project, session, url = served
    p = page  # type: ignore[assignment]
    p.goto(url + "journeys/j/touchpoints/pay/")
    assert p.locator("h1").text_content() == "Pays at the till"
    time.sleep(0.6)  # let the page start polling the live-reload endpoint
    text = (project / TOUCHPOINT).read_text(encoding="utf-8")
    (project / TOUCHPOINT).write_text(text.replace("Pays at the till", "Pays with a phone"), encoding="utf-8")
    p.wait_for_function("document.querySelector('h1') && document.querySelector('h1').textContent === 'Pays with a phone'",
                        timeout=30000)
    (project / TOUCHPOINT).write_text(BROKEN, encoding="utf-8")
    p.wait_for_selector("#journeymap-build-error", timeout=30000)
    assert "JM104" in p.locator("main").text_content()
    (project / TOUCHPOINT).write_text(text.replace("Pays at the till", "Pays again"), encoding="utf-8")
    p.wait_for_function("document.querySelector('h1') && document.querySelector('h1').textContent === 'Pays again'",
                        timeout=30000)
    assert p.console_errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT"])
def test_a_stopped_server_leaves_no_temporary_folder(tmp_path: Path, stop: str) -> None:
    """`kill`, `docker stop` (SIGTERM) and Ctrl+C (SIGINT) stop `journeymap serve` cleanly: exit code 0
    and none of its temporary folders (the served site, the search state) left in the system's tmp."""
    import os
    import signal
    import subprocess
    import sys

    project = make_site(tmp_path / "project")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "journeymap", "serve", "--project", str(project), "--port", str(port)],
                               env={**os.environ, "TMPDIR": str(tmp)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/") is not None, timeout=60)
        assert sorted(path.name.split("-")[1] for path in tmp.iterdir()) == ["serve", "state"]
        process.send_signal(getattr(signal, stop))
        output = process.communicate(timeout=30)[0].decode("utf-8", "replace")
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert "Traceback" not in output and list(tmp.iterdir()) == []
