"""Operating figures: the Prometheus exposition at /metrics and the summary at /api/stats."""
