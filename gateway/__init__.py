"""hotspot-gateway: the running system of a city's free Wi-Fi hotspot gateway, and its CLI."""

__version__ = "0.1.0"
