"""Run the command line as `python -m village`."""
from village.cli import main

main()
