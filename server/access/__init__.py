"""Who may do what: API keys, the caller a request acts as, owner scoping, limits and signed links.

See the README's "Sharing a GPU host" for the rules as users see them.
"""
