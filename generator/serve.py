"""`journeymap serve`: build into a temporary folder, serve it, rebuild and reload browsers on every change.

Built on MkDocs' `LiveReloadServer`, which needs three things from us (see docs/architecture.md):
- it never runs the first build, so `start` runs it before serving;
- if its builder raises, every request hangs until a build succeeds, so the builder never raises:
  content errors (and any other failure) become an error page, written over every page of the served
  folder so the open tab reloads into it, and the next good build replaces it;
- it serves one folder: ours is a fresh temporary folder, removed when the server stops, so serving
  never touches site_dir.

It binds 127.0.0.1 unless told otherwise, and warns when bound to a wider address: it is a preview
server for the author's machine, not a web server. A guard in front of the file server (`_guard`)
refuses traversal (`..` segments, backslashes, NUL) and, on loopback, requests for other host names
(DNS rebinding). SECURITY.md lists what is guaranteed and the tests that check it.
"""
from __future__ import annotations

import html
import ipaddress
import logging
import mimetypes
import shutil
import sys
import tempfile
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, DiagnosticError

log = logging.getLogger("journeymap.serve")
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}

# Python's mimetypes table misses some types on minimal systems; browsers need the right ones
# (an SVG served as octet-stream does not show in <img>).
for _type, _ext in (("image/svg+xml", ".svg"), ("font/woff2", ".woff2"), ("application/javascript", ".js"),
                    ("text/css", ".css"), ("application/json", ".json"), ("application/wasm", ".wasm"),
                    ("application/xml", ".xml")):
    mimetypes.add_type(_type, _ext)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Builder:
    """The LiveReloadServer builder: builds `project` into `site_dir`; never raises."""

    project: Path
    site_dir: Path
    include_drafts: bool = False
    failed: bool = False
    diagnostics: list[Diagnostic] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    state: Any = None  # build.BuildState: the model's parsed documents and the last build, kept between rebuilds
    search_later: bool = True  # serve new pages at once; write the search index in the background
    generation: int = 0
    indexing: Any = None  # the background search indexing thread, if any

    def __call__(self) -> None:
        with self.lock:
            self.generation += 1
            try:
                self._build()
            except DiagnosticError as exc:
                self._fail(exc.diagnostics, None)
            except Exception as exc:  # noqa: BLE001 - the server hangs if the builder raises
                self._fail([], exc)

    def _build(self) -> None:
        from .build import BuildState, build
        from .search import index_search

        if self.state is None:
            self.state = BuildState()
        result = build(self.project, self.site_dir, include_drafts=self.include_drafts, state=self.state,
                       search="later" if self.search_later else "now")
        if not (self.site_dir / "pagefind" / "pagefind.js").is_file():
            index_search(self.site_dir)  # build.py indexes its staging folder; index here if it did not
        if result.stats.search == "deferred":
            self._index_in_background()
        self.failed = False
        self.diagnostics = list(result.diagnostics)
        for diagnostic in result.diagnostics:
            log.warning(_format(diagnostic, self.project))
        stats = result.stats
        log.info("Built %d files (%d units rendered, %d unchanged) in %.2f s", len(result.pages), len(stats.rendered),
                 len(stats.reused), sum(stats.timings.values()))

    def _index_in_background(self) -> None:
        """Pages changed: they are served now; the search index follows when Pagefind is done (seconds on
        a big site), unless another build has replaced them by then."""
        from .build import index_later

        generation = self.generation
        work = index_later(self.state, self.site_dir, lambda: generation == self.generation and not self.failed)

        def run() -> None:
            try:
                if work(self.lock):
                    log.info("Search index updated")
            except Exception as exc:  # noqa: BLE001 - the pages are served; search stays as it was
                log.warning("Search index not updated: %s", exc)

        self.indexing = threading.Thread(target=run, name="journeymap-search", daemon=True)
        self.indexing.start()

    def close(self, wait: bool = False) -> None:
        """Remove the state's temporary folder; with `wait`, after the background search index is done
        (on shutdown it is not awaited: it stops with the process and its work is thrown away)."""
        if wait and self.indexing is not None:
            self.indexing.join()
        if self.state is not None:
            self.state.close()

    def _fail(self, diagnostics: list[Diagnostic], exc: BaseException | None) -> None:
        self.failed = True
        self.diagnostics = list(diagnostics)
        for diagnostic in diagnostics:
            log.error(_format(diagnostic, self.project))
        if exc is not None:
            log.error("Build failed with an internal error:\n%s", "".join(traceback.format_exception(exc)))
        else:
            log.error("Build failed: %d problem(s); the browser shows them until they are fixed", len(diagnostics))
        write_error_pages(self.site_dir, error_page(diagnostics, exc, self.project))

    def not_found(self, code: int) -> bytes | None:
        """LiveReloadServer's error_handler: the error page while the build is broken, else our 404 page."""
        if code != 404:
            return None
        try:
            if self.failed:
                return (self.site_dir / "index.html").read_bytes()
            return (self.site_dir / "404.html").read_bytes()
        except OSError:
            return None


def error_page(diagnostics: list[Diagnostic], exc: BaseException | None, project: Path) -> bytes:
    """A self-contained page listing what is wrong (no links to the site: it may not exist yet)."""
    items = []
    for d in diagnostics:
        hint = f'<p class="hint">hint: {html.escape(d.hint)}</p>' if d.hint else ""
        items.append(f'<li class="{d.severity.value}"><p class="where"><code>{html.escape(d.file)}:{d.line}:{d.column}</code> '
                     f'<span class="sev">{d.severity.value} {html.escape(d.code)}</span></p>'
                     f'<p class="msg">{html.escape(d.message)}</p>{hint}'
                     f'<pre>{html.escape(_format(d, project))}</pre></li>')
    if exc is not None:
        trace = "".join(traceback.format_exception(exc))
        items.append(f'<li class="error"><p class="msg">Internal error: {html.escape(str(exc) or type(exc).__name__)}</p>'
                     f'<pre>{html.escape(trace)}</pre></li>')
    errors = sum(d.is_error for d in diagnostics) + (exc is not None)
    title = f"Build failed: {errors} error{'s' if errors != 1 else ''}"
    body = "\n".join(items) or "<li>The build failed without a message.</li>"
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · journeymap serve</title>
<link rel="icon" href="data:,">
<style>
body {{ margin: 0; font: 15px/1.55 system-ui, sans-serif; background: #fff7f6; color: #1c2433; }}
main {{ max-width: 960px; margin: 0 auto; padding: 32px 24px; }}
h1 {{ color: #9f1d14; margin: 0 0 8px; }}
ol {{ padding: 0; list-style: none; }}
li {{ background: #fff; border: 1px solid #f0c8c4; border-left: 4px solid #d64545; border-radius: 8px; padding: 12px 16px; margin: 0 0 12px; }}
li.warning {{ border-left-color: #ee8434; border-color: #f3dcc2; }}
p {{ margin: 0 0 6px; }}
.sev {{ font-weight: 700; color: #9f1d14; margin-left: 8px; }}
.msg {{ font-weight: 600; }}
.hint {{ color: #4b5563; }}
pre {{ background: #1c2433; color: #e6e9ef; padding: 10px 12px; border-radius: 6px; overflow-x: auto; font-size: 13px; margin: 8px 0 0; }}
@media (prefers-color-scheme: dark) {{
  body {{ background: #1a1112; color: #eee; }} li {{ background: #221a1b; border-color: #4a2a2a; }} .hint {{ color: #bbb; }}
}}
</style>
</head>
<body>
<main>
<h1 id="journeymap-build-error">{html.escape(title)}</h1>
<p>Fix the files below and save: this page reloads by itself when the site builds again.</p>
<ol>
{body}
</ol>
</main>
</body>
</html>
"""
    return page.encode("utf-8")


def write_error_pages(site_dir: Path, page: bytes) -> None:
    """Put the error page in place of every HTML page of the served folder (and at its root)."""
    from .output import MARKER, MARKER_TEXT

    site_dir.mkdir(parents=True, exist_ok=True)
    targets = set(site_dir.rglob("*.html")) | {site_dir / "index.html", site_dir / "404.html"}
    for path in sorted(targets):
        path.write_bytes(page)
    marker = site_dir / MARKER
    if not marker.exists():
        marker.write_text(MARKER_TEXT, encoding="utf-8")  # so the next good build may replace this folder


def _format(diagnostic: Diagnostic, project: Path) -> str:
    try:
        from .cli import format_text

        return format_text(diagnostic, project.resolve())
    except Exception:  # noqa: BLE001
        return f"{diagnostic.file}:{diagnostic.line}:{diagnostic.column}: {diagnostic.severity.value} {diagnostic.code} {diagnostic.message}"


def watched_paths(project: Path) -> list[Path]:
    """site_config.yml, the content folder, theme.custom_dir and the default theme."""
    from .model import CONFIG_FILE, load_config
    from .themes import default_theme_dir

    root = project.resolve()
    paths = [root / CONFIG_FILE]
    config, _, _ = load_config(root)
    content_dir = config.content_dir if config else "content"
    paths.append(root / content_dir)
    if config and config.theme.custom_dir:
        paths.append(root / config.theme.custom_dir)
    paths.append(default_theme_dir())
    return [path for path in paths if path.exists()]


@dataclass
class Session:
    """A prepared server: call `server.serve()` to run it (blocking) and `close()` afterwards."""

    server: object  # mkdocs.livereload.LiveReloadServer
    builder: Builder
    tmp: Path

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]  # type: ignore[attr-defined]
        return f"http://{host}:{port}/" if ":" not in str(host) else f"http://[{host}]:{port}/"

    def close(self) -> None:
        try:
            self.server.shutdown()  # type: ignore[attr-defined]
        finally:
            self.builder.close()
            shutil.rmtree(self.tmp, ignore_errors=True)


def start(project: Path, host: str = "127.0.0.1", port: int = 8000, *, include_drafts: bool = False) -> Session:
    """Run the first build and prepare the live-reload server (not yet listening)."""
    from mkdocs.livereload import LiveReloadServer

    project = Path(project).resolve()
    tmp = Path(tempfile.mkdtemp(prefix="journeymap-serve-"))
    site_dir = tmp / "site"
    builder = Builder(project, site_dir, include_drafts)
    try:  # interrupted during the first build (Ctrl+C, SIGTERM): leave no temporary folder behind
        builder()
        server = LiveReloadServer(builder=builder, host=host, port=port, root=str(site_dir), mount_path="/")
    except BaseException:
        builder.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    server.error_handler = builder.not_found
    server.set_app(_guard(server.serve_request, builder.not_found, loopback=is_loopback(host)))
    for path in watched_paths(project):
        server.watch(str(path))
    return Session(server, builder, tmp)


def _guard(app, not_found, loopback: bool):  # type: ignore[no-untyped-def]
    """A WSGI wrapper in front of MkDocs' file server (which normalises paths itself; this keeps the
    guarantees ours):
    - 404 for any path with a `..` segment, a backslash or a NUL, after the server's percent-decoding
      (so `%2e%2e` and `%2f` count), and a NUL is no longer a 500;
    - 403 when bound to loopback and the Host header names another host: a web page cannot read the
      preview through DNS rebinding (its requests carry the attacker's host name)."""
    def guarded(environ, start_response):  # type: ignore[no-untyped-def]
        path = environ.get("PATH_INFO", "")
        if "\x00" in path or "\\" in path or ".." in path.split("/"):
            start_response("404 Not Found", [("Content-Type", "text/html; charset=utf-8")])
            return [not_found(404) or b"404 Not Found"]
        if loopback and not _loopback_host(environ.get("HTTP_HOST", "")):
            start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"journeymap serve answers requests addressed to localhost only.\n"]
        return app(environ, start_response)

    return guarded


def _loopback_host(header: str) -> bool:
    """True for an empty Host header (not a browser) or one naming localhost or a loopback address."""
    name = header.strip().lower()
    if name.startswith("["):
        name = name[1:name.find("]")] if "]" in name else name
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    return not name or name == "localhost" or name.endswith(".localhost") or is_loopback(name)


def serve(project: Path, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False, *,
          include_drafts: bool = False) -> None:
    """Serve the site with live reload until interrupted (Ctrl+C)."""
    _setup_logging()
    if not is_loopback(host):
        log.warning("serving on %s: anyone who can reach this machine on port %d can read the site. "
                    "journeymap serve is a preview server; publish with journeymap build.", host, port)
    _stop_on_sigterm()
    session = start(project, host, port, include_drafts=include_drafts)
    try:
        session.server.serve(open_in_browser=open_browser)  # type: ignore[attr-defined]
    except KeyboardInterrupt:
        log.info("Shutting down...")
    finally:
        session.close()


def _stop_on_sigterm() -> None:
    """Stop on SIGTERM (`kill`, `docker stop`, a process manager) as on Ctrl+C, so the temporary
    folders are removed: by default SIGTERM ends the process without running `finally`."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def _setup_logging() -> None:
    for name in ("journeymap.serve", "mkdocs.livereload"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(message)s"))
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
