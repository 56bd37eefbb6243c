"""CLI subcommands (filled in by their feature)."""
