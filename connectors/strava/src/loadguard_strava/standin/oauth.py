"""OAuth: the authorize page, token exchange and refresh, deauthorization, test-side grants."""

from __future__ import annotations

import html
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .data import JSON
from .replies import Reply, error_reply, json_reply, unauthorized, with_query
from .state import Code, Token, World

SCOPES = frozenset(
    {
        "read",
        "read_all",
        "profile:read_all",
        "profile:write",
        "activity:read",
        "activity:read_all",
        "activity:write",
    }
)


def scope_set(scope: str) -> frozenset[str]:
    return frozenset(s for s in re.split(r"[,\s]+", scope) if s) | {"read"}


def scope_str(scope: frozenset[str]) -> str:
    order = ["read", "read_all", "profile:read_all", "profile:write"]
    order += ["activity:read", "activity:read_all", "activity:write"]
    return ",".join(s for s in order if s in scope)


class OAuth(World):
    """Strava's OAuth endpoints and the shortcuts tests take around them."""

    def grant_token(
        self,
        athlete_id: int,
        *,
        scope: str = "read,activity:read_all,profile:read_all",
        expires_in: int | None = None,
    ) -> dict[str, Any]:
        """Tokens as after an OAuth approval: ``access_token``, ``refresh_token``, ``expires_at``."""
        scopes = scope_set(scope)
        with self._lock:
            self._athlete(athlete_id)
            self._grants[athlete_id] = scopes
            access, refresh, expires_at = self._issue(athlete_id, scopes, expires_in)
        return {"access_token": access, "refresh_token": refresh, "expires_at": expires_at}

    def expire_tokens(self, athlete_id: int) -> None:
        """The athlete's access tokens are now expired (401); refresh tokens still work."""
        past = int(time.time()) - 1
        with self._lock:
            for token in self._tokens.values():
                if token.athlete_id == athlete_id:
                    token.expires_at = min(token.expires_at, past)

    def revoke(self, athlete_id: int) -> None:
        """Every token of the athlete stops working (401 on use, refresh refused)."""
        with self._lock:
            self._grants.pop(athlete_id, None)
            self._tokens = {k: v for k, v in self._tokens.items() if v.athlete_id != athlete_id}
            self._refresh = {k: v for k, v in self._refresh.items() if v[0] != athlete_id}
            self._codes = {k: v for k, v in self._codes.items() if v.athlete_id != athlete_id}

    def deauthorize(self, athlete_id: int, *, deliver: bool = False) -> None:
        """The athlete revokes the app in Strava's settings; ``deliver`` pushes the event."""
        with self._lock:
            was_authorized = athlete_id in self._grants
        self.revoke(athlete_id)
        if deliver and was_authorized:
            self._push(self._deauth_event(athlete_id), authorized_only=False)

    def approve_url(self, authorize_url: str, athlete_id: int, *, scope: str | None = None) -> str:
        """Where Strava would redirect the browser after the athlete clicks Authorize."""
        params = dict(parse_qsl(urlsplit(authorize_url).query, keep_blank_values=True))
        problem = self._authorize_problem(params)
        if problem is not None:
            raise ValueError(problem.body.decode())
        granted = params.get("scope", "read") if scope is None else scope
        return self._approve(params, athlete_id, scope_set(granted))

    def deny_url(self, authorize_url: str) -> str:
        """Where Strava would redirect the browser after the athlete clicks Cancel."""
        params = dict(parse_qsl(urlsplit(authorize_url).query, keep_blank_values=True))
        state = params.get("state", "")
        return with_query(params["redirect_uri"], {"state": state, "error": "access_denied"})

    def _issue(
        self, athlete_id: int, scope: frozenset[str], expires_in: int | None = None
    ) -> tuple[str, str, int]:
        access, refresh = secrets.token_hex(20), secrets.token_hex(20)
        lifetime = self.token_lifetime_s if expires_in is None else expires_in
        expires_at = int(time.time()) + lifetime
        self._tokens[access] = Token(athlete_id, scope, expires_at, refresh)
        self._refresh[refresh] = (athlete_id, scope)
        return access, refresh, expires_at

    def _authorize_problem(self, params: dict[str, Any]) -> Reply | None:
        def bad(field_name: str) -> Reply:
            return error_reply(400, "Bad Request", ("Application", field_name, "invalid"))

        if params.get("client_id") != self.client_id:
            return bad("client_id")
        redirect = urlsplit(str(params.get("redirect_uri", "")))
        if redirect.scheme not in {"http", "https"} or not redirect.netloc:
            return bad("redirect_uri")
        if params.get("response_type") != "code":
            return bad("response_type")
        if params.get("approval_prompt", "auto") not in {"auto", "force"}:
            return bad("approval_prompt")
        if not scope_set(str(params.get("scope", "read"))) <= SCOPES:
            return bad("scope")
        return None

    def _approve(self, params: dict[str, Any], athlete_id: int, scope: frozenset[str]) -> str:
        code = secrets.token_hex(20)
        with self._lock:
            self._athlete(athlete_id)
            self._codes[code] = Code(athlete_id, scope, self.client_id)
        return with_query(
            str(params["redirect_uri"]),
            {"state": str(params.get("state", "")), "code": code, "scope": scope_str(scope)},
        )

    def _r_authorize_page(self, params: dict[str, Any], headers: dict[str, str]) -> Reply:
        problem = self._authorize_problem(params)
        if problem is not None:
            return problem
        with self._lock:
            athletes = list(self._athletes.values())
        esc = html.escape
        hidden = "".join(
            f'<input type="hidden" name="{esc(k)}" value="{esc(str(params.get(k, "")))}">'
            for k in (
                "client_id",
                "redirect_uri",
                "response_type",
                "approval_prompt",
                "scope",
                "state",
            )
        )
        choices = "".join(
            f'<label><input type="radio" name="athlete_id" value="{a.id}"{" checked" if i == 0 else ""}>'
            f" {esc(a.firstname)} {esc(a.lastname)} ({a.id})</label><br>"
            for i, a in enumerate(athletes)
        )
        requested = sorted(scope_set(str(params.get("scope", "read"))))
        boxes = "".join(
            f'<label><input type="checkbox" name="grant_{esc(s)}" value="on" checked> {esc(s)}</label><br>'
            for s in requested
        )
        page = (
            "<!doctype html><html><head><title>Authorize | Strava (stand-in)</title></head><body>"
            f"<h1>Authorize application {esc(self.client_id)}</h1>"
            f'<form method="post" action="/oauth/authorize">{hidden}'
            f"<fieldset><legend>Log in as</legend>{choices}</fieldset>"
            f"<fieldset><legend>Permissions</legend>{boxes}</fieldset>"
            '<button type="submit" name="action" value="authorize">Authorize</button> '
            '<button type="submit" name="action" value="cancel">Cancel</button>'
            "</form></body></html>"
        )
        return Reply(200, page.encode(), content_type="text/html; charset=utf-8")

    def _r_authorize_submit(self, params: dict[str, Any], headers: dict[str, str]) -> Reply:
        problem = self._authorize_problem(params)
        if problem is not None:
            return problem
        if params.get("action") == "cancel":
            location = with_query(
                str(params["redirect_uri"]),
                {"state": str(params.get("state", "")), "error": "access_denied"},
            )
        else:
            try:
                athlete_id = int(params.get("athlete_id", ""))
                with self._lock:
                    self._athlete(athlete_id)
            except (KeyError, ValueError):
                return error_reply(400, "Bad Request", ("Athlete", "athlete_id", "invalid"))
            requested = scope_set(str(params.get("scope", "read")))
            ticked = {s for s in requested if params.get(f"grant_{s}") == "on"}
            location = self._approve(params, athlete_id, frozenset(ticked) | {"read"})
        body = f'<a href="{html.escape(location)}">Redirecting</a>'.encode()
        return Reply(302, body, "text/html; charset=utf-8", {"Location": location})

    def _r_token(self, params: dict[str, Any], headers: dict[str, str]) -> Reply:
        invalid_client = ("Application", "client_id", "invalid")
        if str(params.get("client_id", "")) != self.client_id:
            return error_reply(400, "Bad Request", invalid_client)
        if params.get("client_secret") != self.client_secret:
            return error_reply(401, "Bad Request", invalid_client)
        grant = params.get("grant_type")
        with self._lock:
            if grant == "authorization_code":
                code = self._codes.pop(str(params.get("code", "")), None)
                if code is None or code.client_id != self.client_id:
                    return error_reply(400, "Bad Request", ("AuthorizationCode", "code", "invalid"))
                self._grants[code.athlete_id] = code.scope
                access, refresh, expires_at = self._issue(code.athlete_id, code.scope)
                athlete: JSON | None = self._athletes[code.athlete_id].summary()
            elif grant == "refresh_token":
                found = self._refresh.pop(str(params.get("refresh_token", "")), None)
                if found is None:
                    return error_reply(
                        400, "Bad Request", ("RefreshToken", "refresh_token", "invalid")
                    )
                access, refresh, expires_at = self._issue(*found)
                athlete = None
            else:
                return error_reply(400, "Bad Request", ("Application", "grant_type", "invalid"))
        body: JSON = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_at": expires_at,
            "expires_in": max(0, expires_at - int(time.time())),
            "refresh_token": refresh,
        }
        if athlete is not None:
            body["athlete"] = athlete
        return json_reply(200, body)

    def _r_deauthorize(self, params: dict[str, Any], headers: dict[str, str]) -> Reply:
        bearer = self._bearer(headers, params)
        token = str(params.get("token", ""))
        with self._lock:
            if bearer is not None:
                athlete_id, shown = bearer[1].athlete_id, bearer[0]
            elif token in self._refresh or token in self._tokens:
                athlete_id = (
                    self._refresh[token][0]
                    if token in self._refresh
                    else self._tokens[token].athlete_id
                )
                shown = token
            else:
                return unauthorized()
            was_authorized = athlete_id in self._grants
        self.revoke(athlete_id)
        if was_authorized:
            self._push(self._deauth_event(athlete_id), authorized_only=False, background=True)
        return json_reply(200, {"access_token": shown})
