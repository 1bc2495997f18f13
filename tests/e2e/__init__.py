"""End-to-end tests in network namespaces (from the captive-portal issue, #4, on)."""
