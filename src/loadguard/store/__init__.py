"""The store: the SQLite database (raw records, activities, pain, findings, the alert
outbox, accounts) and the folder of map indexes beside it.

The only layer that touches the database. May import sources (the records it
stores), guard (plan and findings types), surfaces, the contract and settings;
never alerts, app or cli.
"""
