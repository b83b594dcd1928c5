"""Relations between models: resolved at boot, included in queries, reached from records and routes."""
