"""The staff console and metrics on the management listener (issue #7)."""
