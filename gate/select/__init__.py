"""Select: which cases run, from tiers, changed files, budgets and shards."""
