"""``python -m servicielle``."""

from servicielle.cli import main

main()
