"""Who is admitted: the SQLite store, the client cap, timeouts and restart recovery (issue #4)."""
