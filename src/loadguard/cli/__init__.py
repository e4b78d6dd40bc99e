"""The command line: the typer app and its command groups, terminal rendering, the demo.

Top layer. May import anything below it; calls :mod:`loadguard.app.service` for
every piece of work, so no SQL and no rule logic lives here. Nothing imports it
(connectors add their command groups through the ``loadguard.cli`` entry points).
"""
