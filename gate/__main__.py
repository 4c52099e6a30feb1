"""`python -m gate` runs the CLI."""

from gate.cli import main

raise SystemExit(main())
