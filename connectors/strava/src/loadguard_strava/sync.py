"""Strava into the store: connect an athlete, backfill then sync incrementally, shoes.

The cursor (``after``, the newest start time stored) lives in the account's
state and moves with every stored activity, so a sync stopped by the rate
limit or a crash resumes where it stopped, never losing or duplicating one.
Athletes are served fairly: a round gives each one page before the next round.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError
from stravalib import model

from loadguard.contract import NAMED_GEAR, Athlete, ConnectorError, Host

from .api import Budget, RateLimited, ReconnectNeeded, StravaApi, StravaError
from .config import StravaConfig
from .normalise import SOURCE, STREAM_TYPES, is_run, raw_record
from .tokens import TokenBox, Tokens

PAGE = 200  # Strava's largest page
ROUND = 50  # activities one athlete gets per round before the next athlete's turn


@dataclass
class SyncResult:
    listed: int = 0
    stored: int = 0
    runs: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    stopped: str | None = None  # why the sync stopped early (rate limit, reconnect)
    done: bool = False  # nothing more to fetch right now


Progress = Callable[[str, SyncResult], None]


def new_state() -> str:
    return secrets.token_urlsafe(24)


def api_for(
    host: Host, athlete: Athlete, config: StravaConfig, box: TokenBox, budget: Budget
) -> StravaApi:
    account = host.account(athlete.id, SOURCE)
    if account is None or account.secret is None:
        raise ReconnectNeeded(
            f"athlete {athlete.id!r} is not connected to Strava: run `loadguard strava connect`"
        )

    def keep(tokens: Tokens) -> None:
        host.update_account(athlete.id, SOURCE, secret=box.seal(tokens))

    return StravaApi(config, box.open(account.secret), keep, budget.share(host))


def finish_connect(
    host: Host, athlete: Athlete, config: StravaConfig, box: TokenBox, code: str, scope: str
) -> str:
    """Exchange the code from the redirect and remember the account; returns Strava's id."""
    missing = {"activity:read_all", "profile:read_all"} - set(scope.split(","))
    if missing:
        raise StravaError(
            f"the authorisation lacks {', '.join(sorted(missing))}: loadguard needs them to see"
            " private runs and shoes; connect again and leave those boxes ticked"
        )
    api = StravaApi(config, None)
    tokens, athlete_json = api.exchange(code)
    external = str(athlete_json.get("id") or "")
    if not external:
        raise StravaError("Strava's answer named no athlete")
    other = host.account_by_external(SOURCE, external)
    if other is not None and other.athlete_id != athlete.id:
        raise StravaError(f"this Strava athlete is already connected to {other.athlete_id!r}")
    host.save_account(
        athlete.id,
        SOURCE,
        external,
        box.seal(Tokens(**{**tokens.as_dict(), "scope": scope})),
    )
    return external


def _needs_detail(host: Host, athlete: Athlete, summary: Mapping[str, Any]) -> bool:
    """The detailed activity (one more read) only for a run inside the plan's soft-ground
    weeks whose surface nothing else tells: its description may carry a #grass tag."""
    if summary.get("sport_type") != "Run" or "#" in str(summary.get("name") or ""):
        return False
    try:
        day = date.fromisoformat(str(summary.get("start_date_local") or "")[:10])
    except ValueError:
        return False
    return host.soft_ground_day(athlete, day)


def fetch_activity(host: Host, api: StravaApi, athlete: Athlete, summary: Mapping[str, Any]) -> Any:
    """The raw record for one listed activity: streams for runs, the detail when needed."""
    activity_id = summary["id"]
    detailed = _needs_detail(host, athlete, summary)
    activity = api.get(f"/activities/{activity_id}") if detailed else summary
    streams = (
        api.get(f"/activities/{activity_id}/streams", keys=",".join(STREAM_TYPES), key_by_type=True)
        if is_run(activity)
        else None
    )
    return raw_record(activity, streams, detailed=detailed)


def _valid(item: Any) -> str | None:
    """Why a listed activity is unusable (stravalib's own model), or None."""
    if not isinstance(item, Mapping) or not isinstance(item.get("id"), int):
        return "not an activity object"
    try:
        model.SummaryActivity.model_validate(item)
    except ValidationError as err:
        return f"does not match Strava's activity schema: {err.errors()[0]['msg']}"
    return None


def sync_athlete(
    host: Host,
    athlete: Athlete,
    api: StravaApi,
    *,
    items: int | None = None,
    progress: Progress | None = None,
) -> SyncResult:
    """Backfill or catch up one athlete from the stored cursor (at most ``items`` activities
    this time; the rest of a listed page waits in the state for the next turn)."""
    result = SyncResult()
    account = host.account(athlete.id, SOURCE)
    assert account is not None
    state = dict(account.state)
    # A page listed but not finished (the budget ran out) is kept in the state, so the
    # next sync goes on with it instead of listing it again.
    left: list[Any] = list(state.pop("page_left", []))
    page_len = int(state.pop("page_len", 0))
    try:
        with host.batch():  # one commit per batch, not one per activity
            _sync_pages(host, athlete, api, state, result, left, page_len, items, progress)
        left = []
    except _Stopped as stop:
        left, page_len = stop.left, stop.page_len
        result.stopped = stop.reason or None
        if stop.reconnect:
            host.update_account(athlete.id, SOURCE, status="reconnect", note=stop.reason)
    if left:
        state["page_left"], state["page_len"] = left, page_len
    host.update_account(athlete.id, SOURCE, state=state)
    return result


class _Stopped(Exception):
    def __init__(self, reason: str, left: list[Any], page_len: int, reconnect: bool) -> None:
        super().__init__(reason)
        self.reason, self.left, self.page_len, self.reconnect = reason, left, page_len, reconnect


def _sync_pages(
    host: Host,
    athlete: Athlete,
    api: StravaApi,
    state: dict[str, Any],
    result: SyncResult,
    left: list[Any],
    page_len: int,
    items: int | None,
    progress: Progress | None,
) -> None:
    try:
        while True:
            if not left:
                after = int(state.get("after", 0))
                listed = api.get(
                    "/athlete/activities", after=max(after - 1, 0), per_page=PAGE, page=1
                )
                if not isinstance(listed, list):
                    raise StravaError("Strava's activity list was not a list")
                result.listed += len(listed)
                page_len = len(listed)
                left = sorted(listed, key=_start_of)
            while left:
                if items is not None and items <= 0:
                    raise _Stopped("", left, page_len, False)  # this turn is over
                _store_listed(host, athlete, api, left[0], state, result)
                item = left.pop(0)
                if items is not None:
                    items -= 1
                if progress:
                    progress(str(item.get("id") if isinstance(item, Mapping) else "?"), result)
            if page_len < PAGE:
                result.done = True
                state["backfill_done"] = True
                break
    except RateLimited as err:
        raise _Stopped(
            f"{err}; run `loadguard strava sync` again later to resume", left, page_len, False
        ) from None
    except ReconnectNeeded as err:
        raise _Stopped(str(err), left, page_len, True) from None


def _mark_turn(host: Host, athlete: Athlete) -> None:
    account = host.account(athlete.id, SOURCE)
    if account is not None:
        state = {**account.state, "turn_at": datetime.now(UTC).isoformat()}
        host.update_account(athlete.id, SOURCE, state=state)


def _start_of(item: Any) -> str:
    return str(item.get("start_date", "")) if isinstance(item, Mapping) else ""


def _store_listed(
    host: Host,
    athlete: Athlete,
    api: StravaApi,
    item: Any,
    state: dict[str, Any],
    result: SyncResult,
) -> None:
    origin = f"strava:activity/{item.get('id') if isinstance(item, Mapping) else '?'}"
    problem = _valid(item)
    if problem:
        result.failed.append((origin, problem))
        host.record_failure(athlete.id, SOURCE, origin, problem, None)
        return
    start = _epoch(item.get("start_date"))
    if not host.has_raw(athlete.id, SOURCE, str(item["id"])):
        try:
            raw = fetch_activity(host, api, athlete, item)
            host.ingest(athlete, raw)
        except ConnectorError as err:
            result.failed.append((origin, str(err)))
            host.record_failure(athlete.id, SOURCE, origin, str(err), str(item["id"]))
        else:
            result.stored += 1
            result.runs += int(is_run(item))
    state["after"] = max(int(state.get("after", 0)), start)
    host.update_account(athlete.id, SOURCE, state=state)


def _epoch(value: Any) -> int:
    try:
        return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0


# A shoe as Strava counts it: our shoe's id, its total km at Strava, its name.
GearTotal = tuple[int, float, str]


def sync_gear(
    host: Host, athlete: Athlete, api: StravaApi, today: date | None = None
) -> dict[str, GearTotal]:
    """Shoes from the athlete's gear, read from the raw /athlete JSON (stravalib drops
    ``retired`` and ``nickname``). A shoe's km before its first synced run become its
    initial km, so Strava's total and ours agree (:func:`reconcile_gear` again once the
    runs of this sync are stored). Returns each shoe seen by its gear id."""
    profile = api.get("/athlete")
    shoes = profile.get("shoes") if isinstance(profile, Mapping) else None
    day = today or datetime.now(UTC).date()
    known = {s.gear_id: s for s in host.shoes(athlete.id) if s.gear_id}
    by_name = {s.name: s for s in host.shoes(athlete.id) if not s.gear_id}
    seen: dict[str, GearTotal] = {}
    for shoe in shoes or []:
        if not isinstance(shoe, Mapping) or not shoe.get("id"):
            continue
        gear_id = str(shoe["id"])
        name = str(shoe.get("nickname") or shoe.get("name") or gear_id)
        total_km = float(shoe.get("distance") or 0.0) / 1000.0
        initial = _before_synced(host, athlete.id, gear_id, total_km, name)
        if gear_id in known:
            host.set_initial_km(known[gear_id].id, initial)
            current = known[gear_id]
        elif name in by_name:  # the shoe an export brought by name: the same shoe
            current = by_name[name]
            host.set_initial_km(current.id, initial, gear_id)
        else:
            current = host.add_shoe(
                athlete.id, _unique(host, athlete.id, name), initial_km=initial, gear_id=gear_id
            )
        if shoe.get("retired") and current.retired_on is None:
            host.retire_shoe(athlete.id, str(current.id), day)
        seen[gear_id] = (current.id, total_km, name)
    return seen


def _before_synced(host: Host, athlete_id: str, gear_id: str, total_km: float, name: str) -> float:
    """The km Strava counts on a shoe beyond the runs stored with it (synced, or brought
    by an export under its name)."""
    synced_m = host.gear_distance_m(athlete_id, gear_id)
    synced_m += host.gear_distance_m(athlete_id, f"{NAMED_GEAR}{name}")
    return max(0.0, total_km - synced_m / 1000.0)


def reconcile_gear(host: Host, athlete: Athlete, seen: dict[str, GearTotal]) -> None:
    """After a sync stored new runs: each shoe's initial km again, so runs Strava already
    counted in the total it gave are not counted twice."""
    for gear_id, (shoe_id, total_km, name) in seen.items():
        host.set_initial_km(shoe_id, _before_synced(host, athlete.id, gear_id, total_km, name))


def _unique(host: Host, athlete_id: str, name: str) -> str:
    taken = {s.name for s in host.shoes(athlete_id)}
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name} ({n})", n + 1
    return candidate


def sync_all(
    host: Host,
    config: StravaConfig,
    box: TokenBox,
    *,
    budget: Budget | None = None,
    progress: Progress | None = None,
) -> dict[str, SyncResult]:
    """Every connected athlete, fairly: ROUND activities each per round, the one who waited
    longest first, until all are done or Strava's budget (the application's, shared) is
    spent; then everyone waits for the next run and resumes from their cursors."""
    budget = budget or Budget()
    results: dict[str, SyncResult] = {}
    active = [host.athlete(a.athlete_id) for a in host.accounts(SOURCE, "active")]
    gear: dict[str, dict[str, GearTotal]] = {}
    for athlete in active:
        try:
            gear[athlete.id] = sync_gear(host, athlete, api_for(host, athlete, config, box, budget))
        except ReconnectNeeded as err:
            results[athlete.id] = SyncResult(stopped=str(err))
            host.update_account(athlete.id, SOURCE, status="reconnect", note=str(err))
        except (RateLimited, StravaError) as err:
            results[athlete.id] = SyncResult(stopped=str(err))
    pending = [a for a in active if a.id not in results]
    turns = {a.athlete_id: str(a.state.get("turn_at", "")) for a in host.accounts(SOURCE)}
    pending.sort(key=lambda a: turns.get(a.id, ""))  # who waited longest goes first
    _rounds(host, config, box, budget, pending, results, progress)
    for athlete in active:
        if results.get(athlete.id, SyncResult()).stored and athlete.id in gear:
            reconcile_gear(host, athlete, gear[athlete.id])
    return results


def _rounds(
    host: Host,
    config: StravaConfig,
    box: TokenBox,
    budget: Budget,
    pending: list[Athlete],
    results: dict[str, SyncResult],
    progress: Progress | None,
) -> None:
    """ROUND activities for each pending athlete a round, until all are done or Strava's
    budget is spent."""
    while pending:
        still = []
        for athlete in pending:
            api = api_for(host, athlete, config, box, budget)
            part = sync_athlete(host, athlete, api, items=ROUND, progress=progress)
            _mark_turn(host, athlete)
            total = results.setdefault(athlete.id, SyncResult())
            total.listed += part.listed
            total.stored += part.stored
            total.runs += part.runs
            total.failed += part.failed
            total.stopped, total.done = part.stopped, part.done
            if part.stopped and "limit" in part.stopped:
                for other in pending:  # Strava's budget is the application's: all wait
                    results.setdefault(other.id, SyncResult()).stopped = part.stopped
                return
            if not part.done and part.stopped is None:
                still.append(athlete)
        pending = still
