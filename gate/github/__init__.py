"""GitHub integration: the only code that knows GITHUB_* variables and the REST API."""
