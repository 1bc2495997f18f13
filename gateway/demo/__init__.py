"""A simulated hotspot on one machine: namespaces, a fake internet, phones, and a tour."""
