"""The `studio` command: one command line over the server, the client and the terminal UI."""
