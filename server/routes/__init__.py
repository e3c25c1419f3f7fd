"""HTTP routes, one module per resource; thin: they parse, call a service, shape the reply."""
