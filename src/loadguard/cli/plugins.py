"""Connectors' command groups, found through entry points and imported only when run.

``loadguard --help`` lists a plug-in's group with its distribution's summary, read from
the installed metadata; the plug-in itself (Strava's pulls in stravalib, pint, arrow and
requests: about a second) is imported only when one of its commands runs, or its own
``--help`` is asked for.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import typer
from typer.core import TyperGroup

from loadguard.sources import registry

PANEL = "More sources of runs"


class PluginStub(TyperGroup):
    """Stands in for a plug-in's command group in the listing until it is used."""

    def __init__(self, name: str, summary: str) -> None:
        super().__init__(name=name, help=summary, rich_help_panel=PANEL)

    @cached_property
    def loaded(self) -> Any:
        """The plug-in's own click group (its import happens here); SystemExit 1 with the
        reason if it cannot be loaded."""
        assert self.name is not None
        try:
            return typer.main.get_group(registry.cli_plugin(self.name))
        except registry.UnknownConnector as exc:
            from loadguard.cli.common import fail

            raise fail(str(exc)) from None


class PluginGroup(TyperGroup):
    """The top-level group: the core's commands, and a :class:`PluginStub` for each
    ``loadguard.cli`` entry point (a plug-in cannot replace a core command), swapped for
    the real group when it is chosen."""

    @cached_property
    def plugins(self) -> dict[str, PluginStub]:
        """The plug-ins' stand-ins, found when a name is not a core command or the listing
        is shown (reading the installed metadata costs a command 20-30 ms otherwise)."""
        found = registry.cli_plugin_summaries().items()
        return {n: PluginStub(n, s) for n, s in found if n not in self.commands}

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *self.plugins]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return super().get_command(ctx, cmd_name) or self.plugins.get(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The commands under their panels' headings, as plain text: typer's rich help
        would import rich's markdown, syntax and traceback modules (0.2-0.4 s) to print it."""
        shown = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        commands = [(name, c) for name, c in shown if c is not None and not c.hidden]
        limit = formatter.width - 6 - max(len(name) for name, _ in commands)
        panels: dict[str, list[tuple[str, str]]] = {}
        for name, command in commands:
            panel = getattr(command, "rich_help_panel", None) or "Commands"
            panels.setdefault(panel, []).append((name, command.get_short_help_str(limit)))
        for panel, rows in panels.items():
            with formatter.section(panel):
                formatter.write_dl(rows)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, PluginStub):
            command = command.loaded
        return name, command, rest
