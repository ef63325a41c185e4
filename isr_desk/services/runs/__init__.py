"""Runs: the one run session both faces use (secret, snapshot, engine, history, verify)."""
