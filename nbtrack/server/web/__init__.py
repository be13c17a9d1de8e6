"""The web UI: pages rendered server-side, with their assets and security headers.

Modules: ``ui`` (login, entity, project and run pages; templates and static files), ``workspace``
(the project workspace page), ``pages`` (what the pages show, computed from stored rows) and
``headers`` (security headers on every HTML page). The artifact and media pages live with their
concepts (``artifacts.pages``, ``media.page``). Templates and static files stay in the server
package (``templates/``, ``static/``).
"""
