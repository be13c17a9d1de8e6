"""Runs: their rows, edits, filters, what outsiders see of them, and their alerts.

Modules: ``store`` (create-or-update, read, list), ``filters`` (run filters and orders as SQL),
``edit`` (changes after the fact, deletion), ``disclosure`` (the metadata a public project's
visitors see), ``alerts`` (``run.alert()``: store and routes) and ``webhooks`` (where an
entity's alerts are posted).
"""
