"""Device-side sync, split by phase (transport, push, pull, blobs, engine, state), plus the
wire schema (``protocol``). What a phase changes on the device goes through ``Store``.

``fieldapp.sync.protocol`` is shared with the server and imports only the standard library.
"""
