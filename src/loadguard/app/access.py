"""Who may see and change whose data: the one decision every web route goes through.

A runner reaches their own athlete, to read and to change. A coach reaches an athlete
who granted them access, to read only, within the scope granted: ``all``, or
``no_pain`` (everything but pain and symptoms); and, unless the operator allows it
(``[web] coaches_see_strava``), without the runs that came from Strava (Strava's API
agreement, see the README). A route declares what it needs (:data:`NEEDS`); the
answer for anything else is "not found", never "forbidden": a URL with another
runner's id does not tell that the runner exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadguard.contract import Athlete
from loadguard.store import coaching
from loadguard.store.db import Store, StoreError
from loadguard.store.users import User

# What a route needs of the viewer:
#   own   - the runner themself (every form that changes the athlete's data)
#   view  - the runner, or a coach with any scope (read-only pages)
#   pain  - the runner, or a coach whose scope includes pain and symptoms
#   coach - a coach with any scope, not the runner (a coach's notes, stage adjustments)
NEEDS = ("own", "view", "pain", "coach")
STRAVA_SOURCES = frozenset({"strava"})  # runs a coach sees only if the operator allows


class NotAllowed(Exception):
    """Not this user's to see or change; shown as 404."""


@dataclass(frozen=True)
class View:
    """An athlete as this viewer may see them."""

    athlete: Athlete
    coach: User | None  # the coach looking; None: the runner themself
    scope: str  # own | all | no_pain
    hide: frozenset[str]  # sources whose runs (and figures from them) are left out

    @classmethod
    def of_runner(cls, athlete: Athlete) -> View:
        """The athlete as they see themself: everything."""
        return cls(athlete, None, "own", frozenset())

    @property
    def own(self) -> bool:
        return self.coach is None

    @property
    def pain(self) -> bool:
        return self.scope in ("own", "all")


def athlete_for(
    store: Store,
    user: User,
    athlete_id: str,
    need: str = "own",
    *,
    coaches_see_strava: bool = False,
) -> View:
    """The athlete ``athlete_id`` as ``user`` may see them for ``need``; else NotAllowed."""
    if need not in NEEDS:
        raise ValueError(f"unknown access need {need!r}")
    try:
        athlete = store.athlete(athlete_id)
    except StoreError:
        raise NotAllowed(athlete_id) from None
    if user.athlete_id == athlete_id and need != "coach":
        return View.of_runner(athlete)
    if need == "own" or not user.has_role("coach"):
        raise NotAllowed(athlete_id)
    link = coaching.active_link(store, user.id, athlete_id)
    if link is None or link.scope not in coaching.SCOPES:
        raise NotAllowed(athlete_id)
    if need == "pain" and link.scope != "all":
        raise NotAllowed(athlete_id)
    return View(athlete, user, link.scope, hidden_from_coaches(coaches_see_strava))


def hidden_from_coaches(coaches_see_strava: bool) -> frozenset[str]:
    """The sources whose runs (and figures made from them) a coach does not see."""
    return frozenset() if coaches_see_strava else STRAVA_SOURCES


def coached(store: Store, coach: User, *, coaches_see_strava: bool = False) -> list[View]:
    """Every athlete who granted ``coach`` access, as the coach may see them (the list,
    the digest): the same scope and sources as :func:`athlete_for` gives each one."""
    scopes = {a: scope for a, scope, _revision in coaching.coached(store, coach.id)}
    hide = hidden_from_coaches(coaches_see_strava)
    return [View(a, coach, scopes[a.id], hide) for a in store.athletes(list(scopes))]
