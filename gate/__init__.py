"""voice-regress-gate: regression cases from failed voice-agent calls, run as a merge gate."""

__version__ = "0.1.0"
