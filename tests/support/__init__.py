"""Test-only support code (never installed with the package: setup.py packages multinn and backends only)."""
