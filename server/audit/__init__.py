"""The audit log: who did what, from which device and address, when, and what it changed.

- :mod:`.model`: an entry, its actor, the stable action codes and their names (pure).
- :mod:`.redaction`: before/after values free of secrets, and a configuration change as the
  paths it changed (pure).
- :mod:`.store`: the ``audit_log`` table's plans (insert, the retention purge) and reads.
- :mod:`.journal`: the running server's side (entries written through the writer process,
  refused attempts bounded per address, the daily purge, reads off the event loop).
- :mod:`.export`: the CSV file the page and ``qms audit export`` write.

docs/audit.md says what is recorded, what never is, and how long it is kept.
"""
