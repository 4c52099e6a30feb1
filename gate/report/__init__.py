"""Report: pure renderers from a GateResult to text (console, JUnit, comment, summary, evidence)."""
