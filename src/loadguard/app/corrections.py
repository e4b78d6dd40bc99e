"""A runner's corrections to a run, each followed by the guard: findings that no longer
hold leave `check`, and their unsent alerts are cancelled (the outbox cancels what a
guard run no longer finds). Called by the CLI and the web app alike."""

from __future__ import annotations

from dataclasses import dataclass

from loadguard.contract import Athlete, Shoe
from loadguard.store import corrections
from loadguard.store.activities import assign_shoe
from loadguard.store.corrections import RunRef
from loadguard.store.db import Store, StoreError
from loadguard.surfaces.classes import TAGS


@dataclass(frozen=True)
class Corrected:
    """What a correction changed, and the guard's light after it."""

    run: RunRef
    status: str


def _after(store: Store, athlete: Athlete, activity_id: int) -> Corrected:
    from loadguard.app import service

    report = service.run_guard(store, athlete, "correction")
    return Corrected(corrections.run_ref(store, athlete.id, activity_id), report.status)


def delete_run(store: Store, athlete: Athlete, activity_id: int) -> Corrected:
    """Stop counting a run. Its raw bytes stay, so it is not imported again, and
    :func:`restore_run` brings it back."""
    run = corrections.run_ref(store, athlete.id, activity_id)
    if run.deleted_at is not None:
        raise StoreError(
            f"run {activity_id} is deleted already (`loadguard runs --deleted`)",
            key="run_deleted",
        )
    corrections.set_deleted(store, athlete.id, run, True)
    return _after(store, athlete, activity_id)


def restore_run(store: Store, athlete: Athlete, activity_id: int) -> Corrected:
    run = corrections.run_ref(store, athlete.id, activity_id)
    if run.deleted_at is None:
        raise StoreError(f"run {activity_id} is not deleted", key="run_not_deleted")
    corrections.set_deleted(store, athlete.id, run, False)
    return _after(store, athlete, activity_id)


def accept_run(store: Store, athlete: Athlete, activity_id: int) -> Corrected:
    """Count a run that was held for review (its values looked impossible): the runner
    says it is right. Deleting it (:func:`delete_run`) is the other way out."""
    run = corrections.run_ref(store, athlete.id, activity_id)
    if not run.waiting:
        raise StoreError(
            f"run {activity_id} is not held for review (`loadguard failures` lists those)",
            key="run_not_held",
        )
    corrections.set_accepted(store, athlete.id, run)
    return _after(store, athlete, activity_id)


def held_runs(store: Store, athlete: Athlete) -> list[RunRef]:
    """Runs held for review, newest first (to accept or delete)."""
    return corrections.held(store, athlete.id)


def set_aside(store: Store, athlete: Athlete) -> list[RunRef]:
    """Runs deleted or relabelled as something else, newest first (to restore or relabel)."""
    return corrections.set_aside(store, athlete.id)


def label_run(store: Store, athlete: Athlete, activity_id: int, label: str | None) -> Corrected:
    """Say what an activity was (a walk, a hike, cross-training, not mine, or a run after
    all); None takes the label back, and the source's sport counts again."""
    run = corrections.run_ref(store, athlete.id, activity_id)
    corrections.set_label(store, athlete.id, run, label)
    return _after(store, athlete, activity_id)


def parse_tags(words: list[str]) -> list[str]:
    """Surface words (``grass``, ``#asphalt``) checked against the tag table, as tags."""
    if not words:
        raise StoreError(
            "no surface given: write it without '#' (`loadguard run tag 12 grass`) or quote it"
            " ('#grass'); the shell reads an unquoted # as the start of a comment",
            key="no_surface",
        )
    tags: list[str] = []
    for word in words:
        bare = word.strip().lstrip("#").lower()
        if bare not in TAGS:
            raise StoreError(
                f"surface {word!r} is not one of {', '.join(sorted(TAGS))}",
                key="surface",
                value=word,
                known=", ".join(sorted(TAGS)),
            )
        if f"#{bare}" not in tags:
            tags.append(f"#{bare}")
    return tags


def tag_run(store: Store, athlete: Athlete, activity_id: int, words: list[str]) -> Corrected:
    """Give a run the surfaces the runner says it was on (several split it evenly, as tags
    in a title do); they win over the GPS track. An empty list takes the tags back."""
    run = corrections.run_ref(store, athlete.id, activity_id)
    tags = " ".join(parse_tags(words)) if words else None
    corrections.set_tags(store, athlete.id, run, tags)
    return _after(store, athlete, activity_id)


def shoe_run(
    store: Store, athlete: Athlete, activity_id: int, shoe: str | None
) -> tuple[Corrected, Shoe | None]:
    """Say which shoe a run was in (None: back to the default shoe of that day)."""
    corrections.run_ref(store, athlete.id, activity_id)
    chosen = store.shoe(athlete.id, shoe) if shoe is not None else None
    assign_shoe(store, athlete.id, activity_id, chosen.id if chosen else None)
    return _after(store, athlete, activity_id), chosen
