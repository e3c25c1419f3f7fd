"""The device's local store: SQLite tables and their upgrades, local writes with their outbox
mutations and clock, applying what the server sends, and the one ``Store`` API over them.

It imports the domain and the protocol only; the sync engine drives it through ``Store``.
"""
