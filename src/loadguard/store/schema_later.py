"""Migrations 8 and on: the web app's people (users, sessions, sign-in attempts,
password resets) and each athlete's revision. Applied after :data:`schema.MIGRATIONS`'
first ones, in order, by :func:`loadguard.store.schema.migrate`."""

from __future__ import annotations

LATER: tuple[str, ...] = (
    """
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name          TEXT NOT NULL,
        password_hash TEXT NOT NULL,          -- argon2id
        roles         TEXT NOT NULL DEFAULT 'runner',  -- 'runner', 'coach' or 'runner,coach'
        athlete_id    TEXT UNIQUE REFERENCES athletes(id) ON DELETE SET NULL,
        language      TEXT NOT NULL DEFAULT 'en',
        created_at    TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash  TEXT PRIMARY KEY,
        user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at  TEXT NOT NULL,
        expires_at  TEXT NOT NULL
    );
    CREATE TABLE login_attempts (
        id          INTEGER PRIMARY KEY,
        email       TEXT NOT NULL COLLATE NOCASE,
        address     TEXT NOT NULL,
        ok          INTEGER NOT NULL,
        at          TEXT NOT NULL
    );
    CREATE INDEX login_attempts_by_email ON login_attempts (email, at);
    CREATE INDEX login_attempts_by_address ON login_attempts (address, at);
    CREATE TABLE password_resets (
        token_hash  TEXT PRIMARY KEY,
        user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires_at  TEXT NOT NULL,
        used_at     TEXT
    );
    """,
    """
    -- 9: each athlete's revision, counted up by every write to what the guard reads, so
    -- a report can be kept until something it was made from changes (the web pages)
    ALTER TABLE athletes ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
    -- this database's own id: a cache never mistakes a new file at the same path for it
    CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO store_meta VALUES ('id', lower(hex(randomblob(16))));
    CREATE TRIGGER activities_insert_revision AFTER INSERT ON activities BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = NEW.athlete_id;
    END;
    CREATE TRIGGER activities_update_revision AFTER UPDATE ON activities BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = NEW.athlete_id;
    END;
    CREATE TRIGGER activities_delete_revision AFTER DELETE ON activities BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = OLD.athlete_id;
    END;
    CREATE TRIGGER activity_surfaces_insert_revision AFTER INSERT ON activity_surfaces BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = (SELECT athlete_id FROM activities WHERE id = NEW.activity_id);
    END;
    CREATE TRIGGER activity_surfaces_update_revision AFTER UPDATE ON activity_surfaces BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = (SELECT athlete_id FROM activities WHERE id = NEW.activity_id);
    END;
    CREATE TRIGGER activity_surfaces_delete_revision AFTER DELETE ON activity_surfaces BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = (SELECT athlete_id FROM activities WHERE id = OLD.activity_id);
    END;
    CREATE TRIGGER run_corrections_insert_revision AFTER INSERT ON run_corrections BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = NEW.athlete_id;
    END;
    CREATE TRIGGER run_corrections_update_revision AFTER UPDATE ON run_corrections BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = NEW.athlete_id;
    END;
    CREATE TRIGGER run_corrections_delete_revision AFTER DELETE ON run_corrections BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = OLD.athlete_id;
    END;
    CREATE TRIGGER shoes_insert_revision AFTER INSERT ON shoes BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = NEW.athlete_id;
    END;
    CREATE TRIGGER shoes_update_revision AFTER UPDATE ON shoes BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = NEW.athlete_id;
    END;
    CREATE TRIGGER shoes_delete_revision AFTER DELETE ON shoes BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = OLD.athlete_id;
    END;
    CREATE TRIGGER pain_entries_insert_revision AFTER INSERT ON pain_entries BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = NEW.athlete_id;
    END;
    CREATE TRIGGER pain_entries_update_revision AFTER UPDATE ON pain_entries BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = NEW.athlete_id;
    END;
    CREATE TRIGGER pain_entries_delete_revision AFTER DELETE ON pain_entries BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = OLD.athlete_id;
    END;
    CREATE TRIGGER symptoms_insert_revision AFTER INSERT ON symptoms BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = NEW.athlete_id;
    END;
    CREATE TRIGGER symptoms_update_revision AFTER UPDATE ON symptoms BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = NEW.athlete_id;
    END;
    CREATE TRIGGER symptoms_delete_revision AFTER DELETE ON symptoms BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = OLD.athlete_id;
    END;
    CREATE TRIGGER conditions_insert_revision AFTER INSERT ON conditions BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = NEW.athlete_id;
    END;
    CREATE TRIGGER conditions_update_revision AFTER UPDATE ON conditions BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = NEW.athlete_id;
    END;
    CREATE TRIGGER conditions_delete_revision AFTER DELETE ON conditions BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = OLD.athlete_id;
    END;
    CREATE TRIGGER athletes_plan_revision
        AFTER UPDATE OF name, plan_id, plan_start, timezone, language ON athletes BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = NEW.id;
    END;
    """,
    """
    -- 10: what a runner chose in the web app about their alerts (overrides the file)
    CREATE TABLE alert_choices (
        recipient     TEXT PRIMARY KEY,       -- 'athlete:anna'
        min_severity  TEXT NOT NULL,          -- info | warning | critical
        quiet_hours   TEXT NOT NULL DEFAULT '',  -- '22:00-07:00' local, or ''
        updated_at    TEXT NOT NULL
    );
    """,
    """
    -- 11: coaches and physios: consent (an invitation, then a grant with its scope),
    -- the record of every grant, change and revocation, groups, notes, stage adjustments
    CREATE TABLE coach_links (
        id          INTEGER PRIMARY KEY,
        coach_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        athlete_id  TEXT REFERENCES athletes(id) ON DELETE CASCADE,  -- set on accepting
        email       TEXT COLLATE NOCASE,     -- invited by email; NULL for a link or code
        code_hash   TEXT NOT NULL UNIQUE,    -- SHA-256 of the invitation code
        status      TEXT NOT NULL,           -- invited | active | declined | revoked
        scope       TEXT,                    -- all | no_pain (while active)
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE INDEX coach_links_by_coach ON coach_links (coach_id, status);
    CREATE INDEX coach_links_by_athlete ON coach_links (athlete_id, status);
    CREATE TABLE consent_log (
        id          INTEGER PRIMARY KEY,
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        coach_id    INTEGER,                 -- kept as a number when the coach is deleted
        coach_name  TEXT NOT NULL,
        event       TEXT NOT NULL,           -- granted | changed | revoked | declined
        scope       TEXT,
        at          TEXT NOT NULL
    );
    CREATE TABLE coach_groups (
        id          INTEGER PRIMARY KEY,
        coach_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        UNIQUE (coach_id, name)
    );
    CREATE TABLE group_members (
        group_id    INTEGER NOT NULL REFERENCES coach_groups(id) ON DELETE CASCADE,
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        PRIMARY KEY (group_id, athlete_id)
    );
    CREATE TABLE notes (
        id          INTEGER PRIMARY KEY,
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        coach_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        by_coach    INTEGER NOT NULL,        -- 1: the coach wrote it; 0: the athlete replied
        shared      INTEGER NOT NULL,        -- 0: the coach's private note
        finding     TEXT,                    -- 'rule|subject|date' it acknowledges, or NULL
        body        TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        read_at     TEXT                     -- read by the other side
    );
    CREATE INDEX notes_by_athlete ON notes (athlete_id, coach_id, id);
    CREATE TABLE stage_adjustments (
        id          INTEGER PRIMARY KEY,
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        coach_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
        coach_name  TEXT NOT NULL,
        kind        TEXT NOT NULL,           -- hold | back | release
        plan_week   INTEGER NOT NULL,        -- from this plan week on
        to_week     INTEGER,                 -- back: the stage week to go back to
        reason      TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE TRIGGER stage_adjustments_insert_revision AFTER INSERT ON stage_adjustments BEGIN
        UPDATE athletes SET revision = revision + 1 WHERE id = NEW.athlete_id;
    END;
    """,
    """
    -- 12: who ran which scheduled run of a job: several daemons on one database run each
    -- run of each job once (the first to claim it), and a claim left by a dead process is
    -- taken over
    CREATE TABLE job_claims (
        job_id      TEXT NOT NULL,
        run_at      TEXT NOT NULL,            -- the run's scheduled time, UTC
        claimed_by  TEXT NOT NULL,            -- host:pid
        claimed_at  TEXT NOT NULL,
        finished_at TEXT,
        PRIMARY KEY (job_id, run_at)
    );
    """,
    """
    -- 13: when a coach with an account gets their daily digest ('' until chosen: 07:30;
    -- 'off': none)
    ALTER TABLE alert_choices ADD COLUMN digest_at TEXT NOT NULL DEFAULT '';
    """,
    """
    -- 14: a finding's place in its guard run, the order the rules gave (SQLite's rowid
    -- served until the store could be PostgreSQL, which has none)
    ALTER TABLE findings ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
    UPDATE findings SET seq = rowid;
    """,
    """
    -- 15: an athlete's private calendar feed of planned sessions: the URL's token is kept
    -- hashed (a copy of the store does not open anyone's feed); a new one replaces it
    CREATE TABLE calendar_feeds (
        athlete_id  TEXT PRIMARY KEY REFERENCES athletes(id) ON DELETE CASCADE,
        token_hash  TEXT NOT NULL UNIQUE,
        created_at  TEXT NOT NULL
    );
    """,
    """
    -- 16 (SQLite only): a raw file's bytes as the row's last column, so that SQLite writes
    -- a large one in place (a zeroblob filled by incremental I/O) instead of building the
    -- whole row in memory (measured: +138 MB for a 65 MB file, against +2 MB)
    CREATE TABLE raw_records_new (
        id          INTEGER PRIMARY KEY,
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        source      TEXT NOT NULL,
        key         TEXT NOT NULL,            -- content hash (files) or provider id (APIs)
        media_type  TEXT NOT NULL,
        origin      TEXT NOT NULL,
        received_at TEXT NOT NULL,
        payload     BLOB NOT NULL,            -- exactly what the source gave
        UNIQUE (athlete_id, source, key)
    );
    INSERT INTO raw_records_new
        (id, athlete_id, source, key, media_type, origin, received_at, payload)
        SELECT id, athlete_id, source, key, media_type, origin, received_at, payload
        FROM raw_records;
    DROP TABLE raw_records;
    ALTER TABLE raw_records_new RENAME TO raw_records;
    """,
    """
    -- 17: an activity whose values cannot be right (a date before GPS watches, a week-long
    -- run, an unknown sport) is stored but held for review: why, as JSON; the runner's
    -- acceptance is a correction, so it survives a rebuild
    ALTER TABLE activities ADD COLUMN quarantine TEXT;
    ALTER TABLE run_corrections ADD COLUMN accepted_at TEXT;
    """,
    """
    -- 18: an alert channel's URL sealed at rest (store/channel_urls.py): ``sealed`` holds
    -- it encrypted and ``url`` then 'sealed:' and a keyed digest (one row per recipient
    -- and URL still); a URL whose secrets are all {env:NAME} references stays as given.
    -- Rows in plain text are sealed when first read: sealing needs the key, not SQL.
    ALTER TABLE alert_channels ADD COLUMN sealed TEXT;
    """,
    """
    -- 19: a guard run's digest of its status and findings: a scheduled pass over every
    -- athlete keeps a run only for those whose status or findings changed since their
    -- last run (app/guard_pass.py), found through the index on each athlete's runs
    ALTER TABLE guard_runs ADD COLUMN digest TEXT;
    CREATE INDEX guard_runs_by_athlete ON guard_runs (athlete_id, id);
    """,
)
