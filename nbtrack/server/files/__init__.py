"""Files: run files in storage, and the bytes of files and artifact blobs on their way in and out.

Modules: ``store`` (run files: names, listing, keys in storage), ``streams`` (request bodies into
storage and stored objects out as responses), ``directupload`` (uploads that go straight to the
object store) and ``uploadapi`` (its routes in ``/api/v1``).
"""
