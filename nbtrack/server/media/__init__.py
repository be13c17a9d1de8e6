"""Media logged in history rows: images, audio, video, tables, histograms, HTML.

Modules: ``store`` (media references indexed at ingest, read per key), ``tables`` (table files
sorted, filtered and paged), ``filetypes`` (how media files are served), ``api`` (the media
routes of ``/api/v1``) and ``page`` (the media comparison page).
"""
