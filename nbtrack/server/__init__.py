"""The self-hosted tracking server: ``nbtrack server``.

Modules, one concept each: ``config`` (settings), ``database`` (engine, dialect), ``migrations``
(numbered schema steps), ``accounts`` (users, teams, keys), ``access`` (who may do what), ``runs``,
``history``, ``files``, ``api`` (the ``/api/v1`` routes), ``webui`` (pages), ``app`` (assembly),
``cli`` and ``admin`` (commands). Nothing here is imported by ``import nbtrack``.
"""
