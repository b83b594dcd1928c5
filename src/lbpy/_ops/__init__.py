"""Operations: what an operator needs around the REST API (health and readiness, Prometheus
metrics, access logs with request ids, rate limits per client), wrapped around it as one ASGI
layer and configured in ``server/config.json``."""
