"""安全审计: the append-only, hash-chained audit log."""
