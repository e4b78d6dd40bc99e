"""A real extract server on 127.0.0.1 in Geofabrik's layout: a region index
(``index-v1.json``) and the Helsinki extract from ../shared/data/osm, with the faults
a real one has (a damaged file, a download that breaks off)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from helsinki import HELSINKI

HELSINKI_PBF = "europe/finland/helsinki-latest.osm.pbf"


def box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "MultiPolygon", "coordinates": [[ring]]}


def region(rid: str, name: str, pbf: str, outline: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"id": rid, "name": name, "urls": {"pbf": pbf}},
        "geometry": outline,
    }


# Nested like Geofabrik's: the smallest region holding the runs is the one to download.
INDEX = {
    "type": "FeatureCollection",
    "features": [
        region("europe", "Europe", "europe-latest.osm.pbf", box(-25, 34, 45, 72)),
        region("finland", "Finland", "europe/finland-latest.osm.pbf", box(19, 59, 32, 70.1)),
        region("helsinki", "Helsinki", HELSINKI_PBF, box(24.8, 60.1, 25.1, 60.3)),
        region("denmark", "Denmark", "europe/denmark-latest.osm.pbf", box(8, 54.5, 13, 57.8)),
    ],
}


@dataclass
class MapServer:
    port: int = 0
    fault: str = ""  # "", "damaged", "broken-off", "bad-index"
    requested: list[str] = field(default_factory=list)

    @property
    def index_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/index-v1.json"


@contextmanager
def map_server() -> Iterator[MapServer]:
    state = MapServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, body: bytes, length: int | None = None) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(length if length is not None else len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.lstrip("/")
            state.requested.append(path)
            if path == "index-v1.json":
                body = b"<html>maintenance</html>" if state.fault == "bad-index" else None
                self._send(body or json.dumps(INDEX).encode())
            elif path == HELSINKI_PBF:
                data = HELSINKI.read_bytes()
                if state.fault == "damaged":
                    self._send(b"\x00\x00\x00\x0eOSMHeader" + bytes(range(256)) * 40)
                elif state.fault == "broken-off":
                    self._send(data[: len(data) // 3], length=len(data))
                else:
                    self._send(data)
            else:
                self.send_error(404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
