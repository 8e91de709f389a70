"""Running a deployment: systemd units (``qms install-service``), schema checks
(``qms migrate``), backups (``qms backup`` / ``qms restore``).

Importing this package loads nothing but the standard library; each command loads what it
needs (the database stack) only when it runs, so ``qms --help`` works on every role's install.
"""
