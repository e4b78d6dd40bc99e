"""`loadguard strava connect`: Strava's OAuth in a browser, caught on a loopback server.

The athlete opens the authorisation URL; Strava redirects the browser to
``http://127.0.0.1:<port>/callback`` where a one-shot server checks the OAuth
``state`` (constant time), and the code is exchanged for tokens.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from loadguard.contract import Athlete, Host

from .api import StravaApi, StravaError
from .config import StravaConfig
from .sync import finish_connect, new_state
from .tokens import TokenBox

PAGE = (
    "<!doctype html><meta charset=utf-8><title>loadguard</title>"
    "<body style='font-family:sans-serif;margin:3em'><h1>{title}</h1><p>{text}</p></body>"
)


@dataclass
class _Answer:
    code: str = ""
    scope: str = ""
    error: str = ""


class _Callback(HTTPServer):
    answer: _Answer
    state: str
    done: threading.Event


class _Handler(BaseHTTPRequestHandler):
    server: _Callback

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path != "/callback":
            self.send_error(404)
            return
        answer = self.server.answer
        if not hmac.compare_digest(query.get("state", "").encode(), self.server.state.encode()):
            answer.error = "the answer's state does not match this request (a forged redirect?)"
        elif "error" in query:
            answer.error = f"Strava reported: {query['error']} (access not granted)"
        elif not query.get("code"):
            answer.error = "Strava's redirect carried no code"
        else:
            answer.code, answer.scope = query["code"], query.get("scope", "")
        ok = not answer.error
        page = PAGE.format(
            title="Connected" if ok else "Not connected",
            text="loadguard can now read your runs. You can close this tab."
            if ok
            else answer.error,
        ).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)
        self.server.done.set()


def connect(
    host: Host,
    athlete: Athlete,
    config: StravaConfig,
    box: TokenBox,
    open_url: Callable[[str], None],
    *,
    port: int = 0,
    timeout: float = 300.0,
) -> str:
    """Run the OAuth dance; returns the Strava athlete id now connected."""
    server = _Callback(("127.0.0.1", port), _Handler)
    server.answer, server.state, server.done = _Answer(), new_state(), threading.Event()
    redirect = f"http://127.0.0.1:{server.server_address[1]}/callback"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        open_url(StravaApi(config, None).authorization_url(redirect, server.state))
        if not server.done.wait(timeout):
            raise StravaError(f"no answer from the browser within {timeout:.0f} s")
    finally:
        server.shutdown()
        server.server_close()
    if server.answer.error:
        raise StravaError(server.answer.error)
    return finish_connect(host, athlete, config, box, server.answer.code, server.answer.scope)
