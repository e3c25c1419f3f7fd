"""Device-side sync, split by phase (outbox, push, pull, apply, blobs) plus the wire schema.

``fieldapp.sync.protocol`` is shared with the server and imports only the standard library.
"""
