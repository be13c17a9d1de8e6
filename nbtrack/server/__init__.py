"""The self-hosted tracking server: ``nbtrack server``.

Modules, one concept each: ``config`` (settings), ``database`` (engine, dialect), ``migrations``
(numbered schema steps), ``api`` (the ``/api/v1`` routes), ``app`` (assembly), ``cli`` (the
command), and ``problems``, ``wire``, ``values`` and ``payloads`` shared by all. Subpackages, one
concept each: ``accounts`` (users, keys, who may do what; ``nbtrack admin``), ``runs``,
``history`` (metrics over steps), ``media``, ``files``, ``artifacts``, ``storage`` (where the
bytes live) and ``web`` (the pages). Nothing here is imported by ``import nbtrack``.
"""
