"""Built-in cases, each a folder with case.toml and one CSV per table."""
