"""The filtering resolver: a chain of small resolvers assembled in chain.py (issue #3)."""
