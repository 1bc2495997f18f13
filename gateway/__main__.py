"""`python -m gateway` runs the same CLI as the `hotspot-gateway` console script."""

from gateway.cli import main

if __name__ == "__main__":
    main()
