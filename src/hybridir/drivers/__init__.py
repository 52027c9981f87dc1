"""Thin stage drivers that load, run and write one stage each; the CLI calls these."""
