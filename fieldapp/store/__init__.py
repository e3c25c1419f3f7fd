"""The device's local store: SQLite tables, the outbox, and the one ``Store`` API over them."""
