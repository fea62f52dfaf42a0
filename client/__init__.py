"""Clients of a running Studio over HTTP and WebSocket: `studio submit` / `studio watch`, and the TUI."""
