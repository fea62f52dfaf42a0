"""The web gallery: a static page (HTML, CSS, ES modules) served at `/`, talking to the same API as the TUI."""
