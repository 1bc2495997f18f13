"""`hotspot-gateway doctor`: what is wrong with this gateway, and how to fix it."""
