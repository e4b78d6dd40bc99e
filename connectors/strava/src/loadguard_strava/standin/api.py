"""The /api/v3 data routes: athlete, activities (list, detail, update), streams, gear."""

from __future__ import annotations

from typing import Any

from .data import STREAM_TYPES, Activity, stream_json
from .replies import Reply, error_reply, json_reply, missing_scope, not_found, unauthorized
from .state import Token, World


class Api(World):
    """Routes that read and change the athlete's data, as a token's scopes allow."""

    def _r_athlete(self, params: dict[str, Any], headers: dict[str, str]) -> Reply:
        bearer = self._bearer(headers, params)
        if bearer is None:
            return unauthorized()
        token = bearer[1]
        with self._lock:
            athlete = self._athletes[token.athlete_id]
            if "profile:read_all" in token.scope:
                return json_reply(200, athlete.detailed(self._shoe_distance()))
            return json_reply(200, athlete.summary())

    def _r_activities(self, params: dict[str, Any], headers: dict[str, str]) -> Reply:
        bearer = self._bearer(headers, params)
        if bearer is None:
            return unauthorized()
        token = bearer[1]
        if not token.scope & {"activity:read", "activity:read_all"}:
            return missing_scope("activity:read_permission")
        numbers: dict[str, int | None] = {}
        for key, default in (("before", None), ("after", None), ("page", 1), ("per_page", 30)):
            value = params.get(key)
            try:
                numbers[key] = default if value in {None, ""} else int(float(str(value)))
            except ValueError:
                return error_reply(400, "Bad Request", ("Application", key, "invalid"))
        before, after = numbers["before"], numbers["after"]
        page = max(1, numbers["page"] or 1)
        per_page = min(200, max(1, numbers["per_page"] or 30))
        with self._lock:
            mine = [
                a
                for a in self._activities.values()
                if a.athlete_id == token.athlete_id
                and (not a.private or "activity:read_all" in token.scope)
                and (before is None or a.epoch < before)
                and (after is None or a.epoch > after)
            ]
            mine.sort(key=lambda a: (a.epoch, a.id), reverse=after is None)
            chosen = mine[(page - 1) * per_page : page * per_page]
            athlete = self._athletes[token.athlete_id]
            return json_reply(200, [a.summary(athlete) for a in chosen])

    def _visible(self, token: Token, activity_id: str) -> Activity | None:
        activity = self._activities.get(int(activity_id))
        if activity is None:
            return None
        if activity.private and (
            activity.athlete_id != token.athlete_id or "activity:read_all" not in token.scope
        ):
            return None
        return activity

    def _r_activity(self, params: dict[str, Any], headers: dict[str, str], id: str) -> Reply:
        bearer = self._bearer(headers, params)
        if bearer is None:
            return unauthorized()
        token = bearer[1]
        if not token.scope & {"activity:read", "activity:read_all"}:
            return missing_scope("activity:read_permission")
        with self._lock:
            activity = self._visible(token, id)
            if activity is None:
                return not_found("Activity")
            athlete = self._athletes[activity.athlete_id]
            if activity.athlete_id != token.athlete_id:
                return json_reply(200, activity.summary(athlete))
            return json_reply(200, activity.detailed(athlete, self._gear_json(activity)))

    def _r_update(self, params: dict[str, Any], headers: dict[str, str], id: str) -> Reply:
        bearer = self._bearer(headers, params)
        if bearer is None:
            return unauthorized()
        token = bearer[1]
        if "activity:write" not in token.scope:
            return missing_scope("activity:write_permission")
        with self._lock:
            activity = self._visible(token, id)
            if activity is None or activity.athlete_id != token.athlete_id:
                return not_found("Activity")
        allowed = {"name", "sport_type", "type", "description", "gear_id", "commute", "trainer"}
        changes = {k: v for k, v in params.items() if k in allowed | {"hide_from_home"}}
        try:
            event = self._apply_update(activity.id, changes)
        except ValueError:
            return error_reply(400, "Bad Request", ("Activity", "sport_type", "invalid"))
        if event is not None:
            self._push(event, background=True)
        with self._lock:
            return json_reply(
                200,
                activity.detailed(self._athletes[activity.athlete_id], self._gear_json(activity)),
            )

    def _r_streams(self, params: dict[str, Any], headers: dict[str, str], id: str) -> Reply:
        bearer = self._bearer(headers, params)
        if bearer is None:
            return unauthorized()
        token = bearer[1]
        if not token.scope & {"activity:read", "activity:read_all"}:
            return missing_scope("activity:read_permission")
        with self._lock:
            activity = self._visible(token, id)
            if activity is None or activity.athlete_id != token.athlete_id:
                return not_found("Activity")
            spec = activity.recording.spec
        keys = [k for k in str(params.get("keys", "")).split(",") if k in STREAM_TYPES]
        if not keys:
            return error_reply(400, "Bad Request", ("Stream", "keys", "invalid"))
        streams = stream_json(spec, keys)
        if str(params.get("key_by_type", "false")).lower() == "true":
            return json_reply(200, streams)
        return json_reply(200, list(streams.values()))

    def _r_gear(self, params: dict[str, Any], headers: dict[str, str], id: str) -> Reply:
        if self._bearer(headers, params) is None:
            return unauthorized()
        with self._lock:
            shoe = self._find_shoe(id)
            if shoe is None:
                return not_found("Gear")
            return json_reply(200, shoe.detailed(self._shoe_distance()[shoe.id]))
