"""The `assembly-bot` command line: one module per command group."""
