"""The command line and reports that tie the packages together (no domain logic of its own)."""
