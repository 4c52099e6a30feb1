"""Dispatch: send each case to the harness over HTTP and bring back its RunResult."""
