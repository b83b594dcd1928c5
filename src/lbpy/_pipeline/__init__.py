"""server/middleware.json and the HTTP pipeline: LoopBack 3's middleware phases as ASGI layers."""
