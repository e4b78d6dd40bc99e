"""The stand-in's answers: a reply record and Strava's JSON error bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(body).encode(), headers=dict(headers or {}))


def error_reply(status: int, message: str, *errors: tuple[str, str, str]) -> Reply:
    return json_reply(
        status,
        {
            "message": message,
            "errors": [{"resource": r, "field": f, "code": c} for r, f, c in errors],
        },
    )


def unauthorized() -> Reply:
    return error_reply(401, "Authorization Error", ("Athlete", "access_token", "invalid"))


def not_found(resource: str) -> Reply:
    return error_reply(404, "Record Not Found", (resource, "id", "not found"))


def missing_scope(permission: str) -> Reply:
    return error_reply(401, "Authorization Error", ("AccessToken", permission, "missing"))


def with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
