"""`python -m gate` runs the CLI."""

from gate.cli import script

raise SystemExit(script())
