"""The captive portal flask app: splash, full, block pages, OS probes, RFC 8908 API (issue #4)."""
