"""Alerts: findings become messages for runners and coaches, sent on their channels.

:mod:`~loadguard.alerts.delivery` applies the outbox's rules and delivers what is
due, :mod:`~loadguard.alerts.recipients` says who hears what,
:mod:`~loadguard.alerts.texts` renders the catalogues in ``locales/`` (English and
Danish), :mod:`~loadguard.alerts.channels` sends one text to one apprise URL.

May import the store, guard, surfaces, the contract and settings; never app or cli.
"""
