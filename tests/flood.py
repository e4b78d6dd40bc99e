"""A webhook flood over raw sockets: N connections opened at once, each sending one
POST, each timed from its connect to the end of its answer (asyncio, no HTTP library, so
the client is no bottleneck). Shared by the tests and `bench/bench_webhook_flood.py`."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer (refused, reset or timed out)
    seconds: float


def strava_event(i: int, owner: int = 424242) -> bytes:
    return json.dumps(
        {
            "object_type": "activity",
            "object_id": 10_000_000 + i,
            "aspect_type": "create",
            "owner_id": owner,
            "subscription_id": 1,
            "event_time": 1_790_000_000 + i,
            "updates": {},
        }
    ).encode()


def request(host: str, port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


async def _one(host: str, port: int, raw: bytes, timeout: float) -> Answer:
    began = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(raw)
            await writer.drain()
            status_line = await reader.readline()
            await reader.read()  # to the close
            writer.close()
        status = int(status_line.split()[1]) if status_line else 0
    except (OSError, TimeoutError, ValueError, IndexError):
        status = 0
    return Answer(status, time.perf_counter() - began)


async def _flood(host: str, port: int, raws: list[bytes], timeout: float) -> list[Answer]:
    return list(await asyncio.gather(*(_one(host, port, r, timeout) for r in raws)))


def flood(
    host: str, port: int, bodies: list[bytes], path: str = "/webhooks/strava", timeout: float = 30
) -> list[Answer]:
    """POST every body at once; the answers in the same order."""
    raws = [request(host, port, path, b) for b in bodies]
    return asyncio.run(_flood(host, port, raws, timeout))


def raw_exchange(port: int, head: bytes, chunk: bytes = b"", chunks: int = 0) -> bytes:
    """Send ``head`` then up to ``chunks`` copies of ``chunk`` (stopping when the server
    closes), and return the first bytes of the answer ("" if none came in 20 s)."""
    import socket

    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(20)
        sock.sendall(head)
        try:
            for _ in range(chunks):
                sock.sendall(chunk)
        except OSError:
            pass  # the server answered and closed: the answer is waiting
        try:
            return sock.recv(4096)
        except OSError:
            return b""
