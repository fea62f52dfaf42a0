"""Webhooks: a job's end (and optionally its start) POSTed to a URL, signed by the Standard
Webhooks specification, from deliveries stored in the database and retried until they land."""
