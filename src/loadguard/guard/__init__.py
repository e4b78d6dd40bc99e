"""The guard: the plan, metrics, weeks, stages, run/walk analysis, rules and findings.

Pure functions of data, a plan and an ``as_of`` date: no database, network or
clock (``tests/test_layers.py`` fails the build if one creeps in). Rules live in
:mod:`loadguard.guard.rules` and are listed in :mod:`loadguard.guard.verdict`.

May import surfaces, the contract and settings (where plan files live), nothing above.
"""
