"""HTTP routes: thin handlers that parse, call the pipeline or a service, and serialise."""
