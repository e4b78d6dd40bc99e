"""The :class:`~loadguard.contract.Host` the core lends a connector's service side.

A connector's sync, webhooks and commands see one open store through this, and
reach the pipeline (ingest, guard) through :mod:`loadguard.app.service`; so they
import nothing of loadguard but the contract.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from loadguard import settings
from loadguard.app import service
from loadguard.contract import Account, Athlete, HostError, RawRecord, Shoe
from loadguard.guard.plan import PlanError, load_plan
from loadguard.store import accounts
from loadguard.store import activities as stored
from loadguard.store.db import Store
from loadguard.store.sql import Target


class StoreHost:
    """A Host over an open :class:`Store` (it does not own or close the store)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def athlete(self, athlete_id: str | None = None) -> Athlete:
        return self.store.athlete(athlete_id)

    def connector_settings(self, name: str) -> Mapping[str, object]:
        try:
            return dict(settings.current().connectors.get(name, {}))
        except settings.SettingsError as exc:
            raise HostError(str(exc)) from None

    def batch(self) -> AbstractContextManager[object]:
        return self.store.batch()

    def connector_state(self, name: str) -> dict[str, Any]:
        return accounts.connector_state(self.store, name)

    def save_connector_state(self, name: str, state: dict[str, Any]) -> None:
        accounts.save_connector_state(self.store, name, state)

    def account(self, athlete_id: str, source: str) -> Account | None:
        return accounts.account(self.store, athlete_id, source)

    def account_by_external(self, source: str, external_id: str) -> Account | None:
        return accounts.account_by_external(self.store, source, external_id)

    def accounts(self, source: str, status: str | None = None) -> list[Account]:
        return accounts.accounts(self.store, source, status)

    def save_account(self, athlete_id: str, source: str, external_id: str, secret: bytes) -> None:
        accounts.save_account(self.store, athlete_id, source, external_id, secret)

    def update_account(
        self,
        athlete_id: str,
        source: str,
        *,
        secret: bytes | None = None,
        clear_secret: bool = False,
        state: dict[str, Any] | None = None,
        status: str | None = None,
        note: str | None = None,
    ) -> None:
        accounts.update_account(
            self.store,
            athlete_id,
            source,
            secret=secret,
            clear_secret=clear_secret,
            state=state,
            status=status,
            note=note,
        )

    def has_raw(self, athlete_id: str, source: str, key: str) -> bool:
        return stored.has_raw(self.store, athlete_id, source, key)

    def raw_payload(self, athlete_id: str, source: str, key: str) -> bytes | None:
        return stored.raw_payload(self.store, athlete_id, source, key)

    def ingest(self, athlete: Athlete, raw: RawRecord) -> None:
        service.ingest(self.store, athlete, raw)

    def delete_raw(self, athlete_id: str, source: str, key: str) -> None:
        stored.delete_raw(self.store, athlete_id, source, key)

    def delete_source(self, athlete_id: str, source: str) -> None:
        stored.delete_source(self.store, athlete_id, source)

    def record_failure(
        self, athlete_id: str, source: str, origin: str, reason: str, key: str | None
    ) -> None:
        with self.store.atomic():
            self.store.record_failure(athlete_id, source, origin, reason, key)

    def shoes(self, athlete_id: str) -> list[Shoe]:
        return self.store.shoes(athlete_id)

    def add_shoe(self, athlete_id: str, name: str, *, initial_km: float, gear_id: str) -> Shoe:
        return self.store.add_shoe(athlete_id, name, initial_km=initial_km, gear_id=gear_id)

    def set_initial_km(self, shoe_id: int, km: float, gear_id: str | None = None) -> None:
        self.store.set_initial_km(shoe_id, km, gear_id)

    def retire_shoe(self, athlete_id: str, ref: str, on: date) -> Shoe:
        return self.store.retire_shoe(athlete_id, ref, on)

    def gear_distance_m(self, athlete_id: str, gear_id: str) -> float:
        return stored.gear_distance_m(self.store, athlete_id, gear_id)

    def delete_provider_shoes(self, athlete_id: str) -> int:
        return self.store.delete_provider_shoes(athlete_id)

    def soft_ground_day(self, athlete: Athlete, day: date) -> bool:
        try:
            plan = load_plan(athlete.plan_id)
        except PlanError:
            return False
        week = (day - athlete.plan_start).days // 7 + 1
        stage = plan.stage_for_week(week)
        return stage is not None and week <= plan.weeks and stage.hard_share_max < 1

    def run_guard(self, athlete: Athlete, trigger: str) -> tuple[str, int]:
        report = service.run_guard(self.store, athlete, trigger)
        return report.status, len(report.findings)


@contextmanager
def opened(db: Path | Target) -> Iterator[StoreHost]:
    """A host over the store at ``db``, closed afterwards (a connector's commands)."""
    with Store(db) as store:
        yield StoreHost(store)
