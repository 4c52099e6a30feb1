"""Records: everything the gate writes and reads back (results file, history, merges)."""
