"""Qt-free services of ISR Desk (enforced by the import-linter contract in pyproject.toml)."""
