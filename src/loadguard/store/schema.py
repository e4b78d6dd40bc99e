"""The schema as an ordered list of migrations, in SQLite's spelling; applied on open (on
PostgreSQL as :mod:`loadguard.store.migrations` spells them), never edited once shipped."""

from __future__ import annotations

from loadguard.store.schema_later import LATER

MIGRATIONS: tuple[str, ...] = (
    # 1: the spine
    """
    CREATE TABLE athletes (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        plan_id     TEXT NOT NULL,
        plan_start  TEXT NOT NULL,            -- ISO date, the first day of plan week 1 (local)
        timezone    TEXT NOT NULL,            -- IANA name, fallback for activities without an offset
        created_at  TEXT NOT NULL
    );
    CREATE TABLE raw_records (
        id          INTEGER PRIMARY KEY,
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        source      TEXT NOT NULL,
        key         TEXT NOT NULL,            -- content hash (files) or provider id (APIs)
        media_type  TEXT NOT NULL,
        origin      TEXT NOT NULL,
        payload     BLOB NOT NULL,            -- exactly what the source gave
        received_at TEXT NOT NULL,
        UNIQUE (athlete_id, source, key)
    );
    CREATE TABLE shoes (
        id            INTEGER PRIMARY KEY,
        athlete_id    TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        name          TEXT NOT NULL,
        initial_km    REAL NOT NULL DEFAULT 0,
        heel_stack_mm REAL,
        drop_mm       REAL,
        minimalist    INTEGER,
        default_from  TEXT,                   -- ISO date from which runs get this shoe by default
        retired_on    TEXT,
        gear_id       TEXT,                   -- the provider's id (Strava gear), if any
        created_at    TEXT NOT NULL,
        UNIQUE (athlete_id, name)
    );
    CREATE TABLE activities (
        id            INTEGER PRIMARY KEY,
        athlete_id    TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        raw_id        INTEGER NOT NULL REFERENCES raw_records(id) ON DELETE CASCADE,
        source        TEXT NOT NULL,
        source_id     TEXT NOT NULL,
        sport         TEXT NOT NULL,
        sub_sport     TEXT NOT NULL,
        name          TEXT NOT NULL DEFAULT '',
        description   TEXT NOT NULL DEFAULT '',
        device        TEXT NOT NULL DEFAULT '',
        gear_id       TEXT,
        start_utc     INTEGER NOT NULL,       -- epoch seconds
        utc_offset_s  INTEGER NOT NULL,       -- local = utc + offset
        offset_from   TEXT NOT NULL,          -- 'source' or 'timezone'
        distance_m    REAL NOT NULL,
        timer_s       REAL NOT NULL,
        elapsed_s     REAL NOT NULL,
        run_s         REAL,                   -- run/walk structure from the speed stream
        walk_s        REAL,
        run_bouts     INTEGER,
        walk_bouts    INTEGER,
        longest_run_s REAL,
        extras        TEXT NOT NULL DEFAULT '{}',
        duplicate_of  INTEGER REFERENCES activities(id) ON DELETE SET NULL,
        shoe_id       INTEGER REFERENCES shoes(id) ON DELETE SET NULL,  -- explicit assignment
        UNIQUE (athlete_id, source, source_id)
    );
    CREATE INDEX activities_by_start ON activities (athlete_id, start_utc);
    CREATE TABLE import_failures (
        id          INTEGER PRIMARY KEY,
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        source      TEXT NOT NULL,
        origin      TEXT NOT NULL,
        key         TEXT,
        reason      TEXT NOT NULL,
        first_seen  TEXT NOT NULL,
        last_tried  TEXT NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 1,
        UNIQUE (athlete_id, source, origin)
    );
    """,
    # 2: connected accounts, incoming events, stored findings
    """
    CREATE TABLE accounts (
        athlete_id   TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        source       TEXT NOT NULL,
        external_id  TEXT NOT NULL,           -- the provider's athlete id
        secret       BLOB,                    -- encrypted tokens; NULL once revoked
        state        TEXT NOT NULL DEFAULT '{}',  -- the connector's cursor etc. (JSON)
        status       TEXT NOT NULL DEFAULT 'active',  -- active | reconnect | deauthorized
        status_note  TEXT NOT NULL DEFAULT '',
        updated_at   TEXT NOT NULL,
        PRIMARY KEY (athlete_id, source),
        UNIQUE (source, external_id)
    );
    CREATE TABLE events (
        id           INTEGER PRIMARY KEY,
        source       TEXT NOT NULL,
        key          TEXT NOT NULL,           -- the same event delivered twice has the same key
        payload      TEXT NOT NULL,
        received_at  TEXT NOT NULL,
        status       TEXT NOT NULL DEFAULT 'pending',  -- pending | done | failed
        note         TEXT NOT NULL DEFAULT '',
        attempts     INTEGER NOT NULL DEFAULT 0,
        processed_at TEXT,
        UNIQUE (source, key)
    );
    CREATE TABLE guard_runs (
        id          INTEGER PRIMARY KEY,
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        as_of       TEXT NOT NULL,
        trigger     TEXT NOT NULL,
        status      TEXT NOT NULL,            -- green | yellow | red
        ran_at      TEXT NOT NULL
    );
    CREATE TABLE findings (
        run_id      INTEGER NOT NULL REFERENCES guard_runs(id) ON DELETE CASCADE,
        athlete_id  TEXT NOT NULL,
        rule        TEXT NOT NULL,
        severity    TEXT NOT NULL,
        date        TEXT NOT NULL,
        plan_week   INTEGER NOT NULL,
        value       REAL,
        "limit"     REAL,
        message     TEXT NOT NULL,
        evidence    TEXT NOT NULL
    );
    CREATE INDEX findings_by_athlete ON findings (athlete_id, run_id);
    """,
    # 3: surfaces from the GPS track, and the runner's own places
    """
    CREATE TABLE activity_surfaces (
        activity_id INTEGER PRIMARY KEY REFERENCES activities(id) ON DELETE CASCADE,
        grass_m     REAL NOT NULL DEFAULT 0,
        gravel_m    REAL NOT NULL DEFAULT 0,
        trail_m     REAL NOT NULL DEFAULT 0,
        track_m     REAL NOT NULL DEFAULT 0,
        paved_m     REAL NOT NULL DEFAULT 0,
        treadmill_m REAL NOT NULL DEFAULT 0,
        unknown_m   REAL NOT NULL DEFAULT 0,
        method      TEXT NOT NULL,            -- what decided: tags, places+osm, label, none
        computed_at TEXT NOT NULL
    );
    CREATE TABLE places (
        id          INTEGER PRIMARY KEY,
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        surface     TEXT NOT NULL,
        geojson     TEXT NOT NULL,            -- one geometry (Polygon, LineString, Multi*)
        created_at  TEXT NOT NULL,
        UNIQUE (athlete_id, name)
    );
    """,
    # 4: pain, symptoms and conditions
    """
    CREATE TABLE pain_entries (
        id          INTEGER PRIMARY KEY,
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        day         TEXT NOT NULL,            -- local date
        moment      TEXT NOT NULL CHECK (moment IN ('during', 'after', 'morning', 'rest')),
        score       INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
        activity_id INTEGER REFERENCES activities(id) ON DELETE CASCADE,
        source      TEXT NOT NULL,            -- 'log' (typed in) or 'activity' (from its name)
        created_at  TEXT NOT NULL
    );
    CREATE INDEX pain_by_day ON pain_entries (athlete_id, day);
    CREATE TABLE symptoms (
        id          INTEGER PRIMARY KEY,
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        day         TEXT NOT NULL,
        kind        TEXT NOT NULL,
        note        TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL
    );
    CREATE TABLE conditions (
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        condition   TEXT NOT NULL,
        PRIMARY KEY (athlete_id, condition)
    );
    """,
    # 5: what a finding is about, and the alert outbox
    """
    ALTER TABLE findings ADD COLUMN subject TEXT NOT NULL DEFAULT '';
    CREATE TABLE alerts (
        id          INTEGER PRIMARY KEY,
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        rule        TEXT NOT NULL,
        subject     TEXT NOT NULL,            -- a run's day, a plan week, a shoe
        severity    TEXT NOT NULL,
        date        TEXT NOT NULL,
        message     TEXT NOT NULL,
        evidence    TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        UNIQUE (athlete_id, rule, subject, severity)
    );
    CREATE TABLE deliveries (
        id          INTEGER PRIMARY KEY,
        alert_id    INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
        channel     TEXT NOT NULL,            -- the channel's name, never its URL
        status      TEXT NOT NULL DEFAULT 'pending',  -- pending | sent
        attempts    INTEGER NOT NULL DEFAULT 0,
        last_error  TEXT NOT NULL DEFAULT '',
        next_try_at TEXT NOT NULL,
        sent_at     TEXT,
        UNIQUE (alert_id, channel)
    );
    """,
    # 6: the outbox per recipient (runner, coach): notices rendered at send time, sends per
    # channel with a claim (never sent twice by two workers); channels added from the CLI;
    # files seen in watched folders. Pending deliveries of 5 move over as notices.
    """
    ALTER TABLE alerts ADD COLUMN payload TEXT NOT NULL DEFAULT '{}';  -- the finding, as JSON
    CREATE TABLE notices (
        id          INTEGER PRIMARY KEY,
        recipient   TEXT NOT NULL,            -- 'athlete:anna' or 'coach:mette'
        kind        TEXT NOT NULL,            -- alert | digest | summary | test
        ref         TEXT NOT NULL,            -- alert: its id; digest: local day; summary: week
        athlete_id  TEXT REFERENCES athletes(id) ON DELETE CASCADE,
        alert_id    INTEGER REFERENCES alerts(id) ON DELETE CASCADE,
        payload     TEXT NOT NULL,            -- JSON, in no language: rendered when sent
        created_at  TEXT NOT NULL,
        UNIQUE (recipient, kind, ref)
    );
    CREATE TABLE sends (
        id          INTEGER PRIMARY KEY,
        notice_id   INTEGER NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
        channel     TEXT NOT NULL,            -- the channel's key (a hash), never its URL
        status      TEXT NOT NULL DEFAULT 'pending',  -- pending|sending|sent|cancelled|dropped
        attempts    INTEGER NOT NULL DEFAULT 0,
        last_error  TEXT NOT NULL DEFAULT '',
        next_try_at TEXT NOT NULL,            -- UTC; the end of quiet hours for a held one
        claimed_at  TEXT,
        claimed_by  TEXT,                     -- host:pid of the worker sending it
        sent_at     TEXT,
        UNIQUE (notice_id, channel)
    );
    CREATE INDEX sends_due ON sends (status, next_try_at);
    INSERT INTO notices (recipient, kind, ref, athlete_id, alert_id, payload, created_at)
        SELECT 'athlete:' || a.athlete_id, 'alert', CAST(a.id AS TEXT), a.athlete_id, a.id,
               json_object('athlete', a.athlete_id, 'athlete_name', a.athlete_id,
                           'rule', a.rule, 'severity', a.severity, 'date', a.date,
                           'plan_week', 0, 'subject', a.subject, 'value', NULL,
                           'limit', NULL, 'message', a.message, 'grade', a.evidence,
                           'source', a.evidence),
               a.created_at
        FROM alerts a WHERE a.id IN (SELECT alert_id FROM deliveries WHERE status = 'pending');
    INSERT INTO sends (notice_id, channel, attempts, last_error, next_try_at)
        SELECT n.id, 'url:' || d.channel, d.attempts, d.last_error, d.next_try_at
        FROM deliveries d JOIN notices n ON n.alert_id = d.alert_id
        WHERE d.status = 'pending';
    DROP TABLE deliveries;
    CREATE TABLE alert_channels (
        recipient   TEXT NOT NULL,
        url         TEXT NOT NULL,            -- as given; {env:NAME} keeps secrets out
        created_at  TEXT NOT NULL,
        PRIMARY KEY (recipient, url)
    );
    CREATE TABLE watched_files (
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        path        TEXT NOT NULL,
        size        INTEGER NOT NULL,
        mtime_ns    INTEGER NOT NULL,
        seen_at     TEXT NOT NULL,
        PRIMARY KEY (athlete_id, path)
    );
    """,
    # 7: the runner's corrections to a run, keyed by the source's id so they outlive a
    # rebuild or an edit that normalises the run again; a connector's own state; the
    # language an athlete reads
    """
    CREATE TABLE run_corrections (
        athlete_id  TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
        source      TEXT NOT NULL,
        source_id   TEXT NOT NULL,
        deleted_at  TEXT,                     -- set: not counted, listed by `runs --deleted`
        label       TEXT CHECK (label IN ('run', 'walk', 'hike', 'cross_training', 'not_mine')),
        tags        TEXT,                     -- surface tags ('#grass #asphalt'), as in a title
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (athlete_id, source, source_id)
    );
    ALTER TABLE athletes ADD COLUMN language TEXT NOT NULL DEFAULT '';  -- '' = not chosen
    ALTER TABLE findings ADD COLUMN detail TEXT NOT NULL DEFAULT '';   -- a symptom, "drop"...
    CREATE TABLE connector_state (
        source      TEXT PRIMARY KEY,
        state       TEXT NOT NULL DEFAULT '{}',  -- the connector's own (a subscription id)
        updated_at  TEXT NOT NULL
    );
    """,
    # 8: people who sign in to the web app, their sessions, sign-in attempts (for rate
    # limits) and password resets; tokens are stored as hashes only
    *LATER,
)
