"""python -m optimizer -> the reeplan CLI."""

from optimizer.cli import main

main()
