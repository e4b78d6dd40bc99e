"""Who may see and change whose data: the one decision every web route goes through.

A person reaches their own athlete. (Coaches reach the athletes who consented, with
the scope they granted: the coach's side adds its rule here, and only here.) The
answer for anything else is "not found", never "forbidden": a URL with another
runner's id does not tell that the runner exists.
"""

from __future__ import annotations

from loadguard.contract import Athlete
from loadguard.store.db import Store, StoreError
from loadguard.store.users import User


class NotAllowed(Exception):
    """Not this user's to see or change; shown as 404."""


def athlete_for(store: Store, user: User, athlete_id: str, *, write: bool = False) -> Athlete:
    """The athlete ``athlete_id`` if ``user`` may see it (``write``: change it); else
    NotAllowed. The runner themself may do both."""
    del write  # the runner may change what they may see; a coach's scope will differ
    if user.athlete_id is None or user.athlete_id != athlete_id:
        raise NotAllowed(athlete_id)
    try:
        return store.athlete(athlete_id)
    except StoreError:
        raise NotAllowed(athlete_id) from None
