"""What the server does, apart from HTTP: auth, the write path (push), the change feed (pull),
scope, derivation, imports. Services take a database connection and plain values."""
