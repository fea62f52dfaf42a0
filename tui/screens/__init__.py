"""One module per screen: queue (start), history, detail, job form, confirm."""
