"""Webhooks under load and abuse, on a real `loadguard serve` process: a flood of posts,
a store held by an import, a crash with events spooled, bad framing, clients that go
away. Timing is the benchmark's (bench/bench_webhook_flood.py); these assert outcomes."""

from __future__ import annotations

import os
import random
import socket
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from flood import flood, raw_exchange, strava_event
from stravaworld import wait_for

EXE = Path(sys.executable).with_name("loadguard")


@contextmanager
def serving(db: Path, log: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`loadguard serve` on a free port, its log in ``log``; killed afterwards."""
    with log.open("a") as sink:
        proc = subprocess.Popen(
            [str(EXE), "--db", str(db), "serve", "--port", "0", "--no-scheduler"],
            stdout=subprocess.PIPE,
            stderr=sink,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        port = int(line.split("serving on ", 1)[1].split(" ", 1)[0].rsplit(":", 1)[1])
        yield proc, port
    finally:
        proc.kill()
        proc.wait(timeout=10)


def queued(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])


@contextmanager
def store_held(db: Path) -> Iterator[None]:
    """The store's write lock taken as an import's batch takes it, until the block ends."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "lg.sqlite"
    subprocess.run([str(EXE), "--db", str(path), "athlete", "list"], check=True, timeout=60)
    return path


def test_a_thousand_concurrent_webhook_posts_are_all_answered_and_queued(
    db: Path, tmp_path: Path
) -> None:
    with serving(db, tmp_path / "serve.log") as (_, port):
        answers = flood("127.0.0.1", port, [strava_event(i) for i in range(1000)])
        assert Counter(a.status for a in answers) == {200: 1000}
        wait_for(lambda: queued(db) == 1000, timeout=60)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def test_posts_are_answered_while_an_import_holds_the_store_and_queued_once_it_lets_go(
    db: Path, tmp_path: Path
) -> None:
    with serving(db, tmp_path / "serve.log") as (_, port):
        with store_held(db):
            answers = flood("127.0.0.1", port, [strava_event(i) for i in range(50)])
            assert Counter(a.status for a in answers) == {200: 50}
            assert queued(db) == 0
        wait_for(lambda: queued(db) == 50, timeout=30)


def test_events_answered_before_a_crash_are_queued_when_the_server_is_back_and_only_once(
    db: Path, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with store_held(db), serving(db, log) as (proc, port):
        answers = flood("127.0.0.1", port, [strava_event(i) for i in range(20)])
        assert Counter(a.status for a in answers) == {200: 20}
        proc.kill()  # kill -9: nothing is flushed or drained on the way out
    assert queued(db) == 0
    with serving(db, log) as (_, port):
        wait_for(lambda: queued(db) == 20, timeout=30)
        again = flood("127.0.0.1", port, [strava_event(i) for i in range(20)])  # a retry
        assert Counter(a.status for a in again) == {200: 20}
        wait_for(lambda: not list(db.with_name(db.name + ".spool").glob("*.events")))
    assert queued(db) == 20


def test_a_body_is_bounded_however_its_length_is_declared_and_bad_framing_is_a_400(
    db: Path, tmp_path: Path
) -> None:
    head = b"POST /webhooks/strava HTTP/1.1\r\nHost: x\r\n"
    with serving(db, tmp_path / "serve.log") as (_, port):
        minus = raw_exchange(port, head + b"Content-Length: -1\r\n\r\n{}")
        letters = raw_exchange(port, head + b"Content-Length: abc\r\n\r\n{}")
        endless = raw_exchange(
            port,
            head + b"Transfer-Encoding: chunked\r\n\r\n1000000\r\n",
            chunk=b"x" * 65536,
            chunks=300,
        )
        declared = raw_exchange(
            port, head + b"Content-Length: 300000000\r\n\r\n", chunk=b"x" * 65536, chunks=300
        )
        assert minus.startswith(b"HTTP/1.1 400")
        assert letters.startswith(b"HTTP/1.1 400")
        assert endless.startswith(b"HTTP/1.1 413")
        assert declared.startswith(b"HTTP/1.1 413")
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=5).ok
    assert queued(db) == 0
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def test_clients_that_go_away_or_send_garbage_leave_one_quiet_line_each_and_no_traceback(
    db: Path, tmp_path: Path
) -> None:
    rnd = random.Random(19)
    log = tmp_path / "serve.log"
    with serving(db, log) as (_, port):
        for i in range(200):
            sock = socket.create_connection(("127.0.0.1", port))
            body = strava_event(i)
            whole = b"POST /webhooks/strava HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (
                len(body),
                body,
            )
            kind = i % 4
            if kind == 0:  # gone before the body is whole
                sock.sendall(whole[:-30])
            elif kind == 1:  # bytes that are no HTTP
                sock.sendall(rnd.randbytes(200))
            else:  # a whole request, then a reset before the answer
                sock.sendall(whole)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            sock.close()
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=5).ok
    text = log.read_text()
    assert "Traceback" not in text
    assert len(text.splitlines()) <= 200


def test_idle_half_sent_and_trickling_connections_are_closed_at_their_deadlines(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loadguard.web import protocol
    from loadguard.web.server import GuardServer

    monkeypatch.setattr(protocol, "HEADER_S", 0.5)
    monkeypatch.setattr(protocol, "BODY_IDLE_S", 0.5)
    with GuardServer(db, port=0).start() as server:
        port = server.address[1]
        silent = raw_exchange(port, b"")
        half_header = raw_exchange(port, b"POST /webhooks/strava HTTP/1.1\r\nHost: x\r\n")
        half_body = raw_exchange(
            port, b"POST /webhooks/strava HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"
        )
        assert requests.get(f"{server.url}/health", timeout=5).ok
    assert silent.startswith(b"HTTP/1.1 408")
    assert half_header.startswith(b"HTTP/1.1 408")
    assert half_body == b""  # closed: the route was already reading, nothing to answer
    assert queued(db) == 0
