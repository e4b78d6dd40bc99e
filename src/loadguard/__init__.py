"""loadguard: a training-load guard for runners returning from heel fat pad syndrome.

The package is a stack of layers; each folder's ``__init__`` says what it is for and
what it may import, and ``tests/test_layers.py`` (import-linter) keeps it so.
Top to bottom:

- :mod:`loadguard.cli` (and the web app to come): what people use;
- :mod:`loadguard.app`: the one orchestration module and the processes that run it;
- :mod:`loadguard.alerts`: from findings to messages on people's channels;
- :mod:`loadguard.store`: the SQLite database and the map folder beside it;
- :mod:`loadguard.sources`: connectors found by entry point, raw record to activity;
- :mod:`loadguard.guard`: the plan, metrics, rules and findings (pure);
- :mod:`loadguard.surfaces`: surface classes, per-run mix, OpenStreetMap (pure);
- :mod:`loadguard.contract` and :mod:`loadguard.settings`: the connector contract
  and the user's settings, which every layer may read.

See ARCHITECTURE.md for the data flow and where to add a rule, a connector, a
channel or a page.
"""
