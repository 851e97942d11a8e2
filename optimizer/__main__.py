"""python -m reeplan -> the reeplan CLI."""

from reeplan.cli.app import main

main()
