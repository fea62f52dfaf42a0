"""Widgets by area: queue/, history/, detail/, form/, and the shared ones here."""
