"""Artifacts: versioned, content-addressed sets of files logged and used by runs.

Modules: ``store`` (collections, versions, aliases, entries, usage in the database), ``blobs``
(blob bodies in storage), ``lineage`` (listings and what a run logged and used), ``payloads``
(request bodies), ``api`` (the ``/api/v1`` routes) and ``pages`` (the web UI's pages).
"""
