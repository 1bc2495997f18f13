"""Filtering logic shared by the resolver and the proxy: sources, parsers, the compiled matcher."""
