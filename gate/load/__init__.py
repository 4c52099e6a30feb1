"""Load: read case files and the gate config, validate them, and lint them."""
