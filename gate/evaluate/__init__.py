"""Evaluate: check one trial's evidence against the case's assertions and fold verdicts."""
