"""Sources: connectors found through entry points, and a raw record made ready to store.

:mod:`~loadguard.sources.registry` loads connectors lazily by name (the core never
imports one); :mod:`~loadguard.sources.normalise` turns a raw record into
activities with their local offset, run/walk structure, surfaces and pain.

May import guard, surfaces, the contract and settings; never the store or above.
"""
