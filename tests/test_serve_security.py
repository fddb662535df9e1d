"""`journeymap serve` (generator/serve.py) serves the built site and nothing else.

Requests go over a raw socket, so no client library normalises the path first: `..`, `%2e%2e`,
encoded slashes and backslashes, double encoding, NUL, absolute-form targets. Next to the served folder
and in the project lie files with a secret marker; no response may ever contain it. The server binds
127.0.0.1 unless told otherwise and warns when bound to anything wider.
"""
from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path
from typing import Iterator

import click
import pytest


from helpers import free_port, make_site, wait_for
from journeymap import serve as serve_module
from journeymap.cli import main as cli_main

SECRET = "TOP-SECRET-8f3a"




def raw_get(port: int, target: str, host: str = "127.0.0.1") -> tuple[int, bytes]:
    """Send `GET <target> HTTP/1.1` byte for byte; return (status, whole response)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("latin-1"))
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    response = b"".join(chunks)
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0
    return status, response


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[serve_module.Session, int]]:
    """A small site served on a free port, with secrets in the project and beside the served folder."""
    project = make_site(tmp_path_factory.mktemp("serve") / "project")
    (project / "secret.txt").write_text(SECRET, encoding="utf-8")
    session = serve_module.start(project, port=free_port())
    (session.tmp / "secret.txt").write_text(SECRET, encoding="utf-8")  # beside the served site folder
    (session.tmp.parent / f"{session.tmp.name}-secret.txt").write_text(SECRET, encoding="utf-8")
    thread = threading.Thread(target=session.server.serve, daemon=True)  # type: ignore[attr-defined]
    thread.start()
    port = session.server.server_address[1]  # type: ignore[attr-defined]
    wait_for(lambda: raw_get(port, "/")[0] == 200)
    yield session, port
    session.close()
    thread.join(timeout=10)
    (session.tmp.parent / f"{session.tmp.name}-secret.txt").unlink(missing_ok=True)


TRAVERSALS = [
    "/../secret.txt", "/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/.%2e/secret.txt",
    "/%2e%2e%2fsecret.txt", "/..%2fsecret.txt", "/..%2Fsecret.txt", "/%2e%2e%5csecret.txt", "/..\\secret.txt",
    "/..%5csecret.txt", "/%252e%252e/secret.txt", "/%252e%252e%252fsecret.txt", "/journeys/../../secret.txt",
    "/journeys/%2e%2e/%2e%2e/secret.txt", "/./../secret.txt", "//secret.txt", "/%2f..%2fsecret.txt",
    "/..;/secret.txt", "/%c0%ae%c0%ae/secret.txt", "/%uff0e%uff0e/secret.txt", "/\uff0e\uff0e/secret.txt",
    "/../project/secret.txt", "/../../project/secret.txt", "/..%00/secret.txt", "/secret.txt%00.html",
    "/../../../../../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd",
    "/%2fetc%2fpasswd", "/proc/self/environ", "/../../../../../../proc/self/cwd/secret.txt",
    "http://127.0.0.1/../secret.txt", "/site_config.yml", "/content/journeys/j/journey.md", "/../site/../secret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_serve_refuses_traversal(served: tuple[serve_module.Session, int], target: str) -> None:
    _, port = served
    status, response = raw_get(port, target.encode("utf-8").decode("latin-1"))
    assert SECRET.encode() not in response, (target, response[:300])
    assert b"root:x:0:0" not in response and b"PATH=" not in response
    assert status == 404, (target, status)


@pytest.mark.parametrize("path", ["/..", "/../x", "/a/../../x", "/a/..", "/..\\x", "/a\\..\\x", "/x\x00.html", "/\x00"])
def test_serve_guard_refuses_before_the_file_server(path: str) -> None:
    """The guard in front of MkDocs' file server answers 404 itself (percent-decoding has happened)."""
    called: list[str] = []
    statuses: list[str] = []

    def app(environ: dict, start_response: object) -> list[bytes]:
        called.append(environ["PATH_INFO"])
        return [b"file"]

    guarded = serve_module._guard(app, lambda code: b"not found page", loopback=True)
    body = guarded({"PATH_INFO": path}, lambda status, headers: statuses.append(status))
    assert body == [b"not found page"] and statuses == ["404 Not Found"] and not called
    assert guarded({"PATH_INFO": "/journeys/j/..x/"}, lambda status, headers: None) == [b"file"]  # '..x' is a name


@pytest.mark.parametrize("host, allowed", [("127.0.0.1:8000", True), ("localhost:8000", True), ("LOCALHOST", True),
                                           ("[::1]:8000", True), ("127.1.2.3", True), ("preview.localhost:8000", True),
                                           ("", True), ("evil.example:8000", False), ("evil.example", False),
                                           ("10.0.0.1:8000", False), ("[2001:db8::1]:8000", False),
                                           ("localhost.evil.example", False), ("127.0.0.1.evil.example", False)])
def test_serve_refuses_other_host_names_on_loopback(served: tuple[serve_module.Session, int], host: str,
                                                     allowed: bool) -> None:
    """Bound to loopback, a request naming another host (a DNS-rebinding page) gets 403, not the site."""
    _, port = served
    status, response = raw_get(port, "/", host=host)
    assert (status == 200) == allowed and (b"Pays at the till" in response or b"Test site" in response) == allowed
    if not allowed:
        assert status == 403


def test_serve_serves_only_the_built_site(served: tuple[serve_module.Session, int]) -> None:
    session, port = served
    status, response = raw_get(port, "/journeys/j/touchpoints/pay/")
    assert status == 200 and b"Pays at the till" in response
    for target in ("/site_config.yml", "/content/", "/secret.txt", "/" + session.tmp.name + "/secret.txt"):
        status, response = raw_get(port, target)
        assert status == 404 and SECRET.encode() not in response, target


def test_serve_binds_loopback_by_default(served: tuple[serve_module.Session, int]) -> None:
    session, _ = served
    assert session.server.server_address[0] == "127.0.0.1"  # type: ignore[attr-defined]
    command = cli_main.commands["serve"] if isinstance(cli_main, click.Group) else None
    assert command is not None
    host = next(param for param in command.params if param.name == "host")
    assert host.default == "127.0.0.1"
    import inspect

    assert inspect.signature(serve_module.serve).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(serve_module.start).parameters["host"].default == "127.0.0.1"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append((record.levelno, record.getMessage()))


@pytest.mark.parametrize("host, warns", [("127.0.0.1", False), ("localhost", False), ("::1", False),
                                         ("127.0.0.2", False), ("0.0.0.0", True), ("::", True),
                                         ("192.168.1.20", True), ("example.test", True)])
def test_serve_warns_when_bound_wider(host: str, warns: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Anything but loopback prints a warning before the server starts (start() is stubbed: no socket)."""
    class FakeServer:
        def serve(self, open_in_browser: bool = False) -> None:
            raise KeyboardInterrupt

    class FakeSession:
        server = FakeServer()

        def close(self) -> None:
            pass

    monkeypatch.setattr(serve_module, "start", lambda *args, **kwargs: FakeSession())
    records = _Records()
    logger = logging.getLogger("journeymap.serve")
    logger.addHandler(records)
    try:
        serve_module.serve(Path("."), host=host, port=8123)
    finally:
        logger.removeHandler(records)
    warned = [message for level, message in records.messages if level >= logging.WARNING]
    assert bool(warned) == warns, records.messages
    if warns:
        assert host in warned[0] and "8123" in warned[0]
