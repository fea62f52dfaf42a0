"""Prompt styles: named templates a job may apply to its prompt (the `styles/` folder)."""
