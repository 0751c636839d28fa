"""Serve apps on loopback in background threads, for tests that cross real HTTP."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from werkzeug.serving import make_server
from werkzeug.wsgi import FileWrapper


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def read_whole(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """A file's answer (a static file, a download) read whole, and the file closed, before it is
    sent. Werkzeug's development server closes an answer only if reading what is left of the
    request works; when a browser drops the connection mid-page (a reload under load), the file
    stays open, and the suite turns that ResourceWarning into an error. Other answers stream as
    they are (the SSRF tests' endless and slow bodies)."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        answer = app(environ, start_response)
        if not isinstance(answer, FileWrapper):
            return answer
        try:
            return [b"".join(answer)]
        finally:
            answer.close()

    return wsgi


@contextmanager
def serving(app: Flask, port: int) -> Iterator[str]:
    # Werkzeug's access lines would go to pytest's log capture, which keeps every one.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", port, read_whole(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
