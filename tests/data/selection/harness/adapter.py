# the harness adapter of the fixture repo (always_full)
