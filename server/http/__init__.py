"""The HTTP edge every request crosses before a route: who may call (Host, Origin, content
type), how bodies are read, how refusals are logged, the WebSocket protocol uvicorn runs, and
the offline OpenAPI viewer."""
