"""Test support shipped with the package: the pytest plugin, the role matrix and component checks."""
