"""Accounts: who uses the server and what each may do.

Modules: ``store`` (users, teams, memberships and API keys), ``auth`` (who is asking: an API key
or a web session), ``access`` (who may do what) and ``admin`` (the ``nbtrack admin`` command).
"""
