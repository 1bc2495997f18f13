"""mitmproxy embedded in transparent mode with the filters' addons (issue #5)."""
