"""Orchestration: the one service module and the processes that run it.

:mod:`~loadguard.app.service` is what the CLI, the scheduler, the HTTP server and
(soon) the web app all call; :mod:`~loadguard.app.daemon` and
:mod:`~loadguard.app.jobs` are the scheduler, :mod:`~loadguard.app.folders` the
watched folders, :mod:`loadguard.web.server` serves them.

May import alerts, store, sources, guard, surfaces, the contract and settings;
never the CLI or the web app.
"""
