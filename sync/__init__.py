"""The sync engine: clock, change log, batches and transports. Knows nothing of Flask or village."""
