"""Commands: one module per subcommand, plus the wiring that builds stages from settings."""
