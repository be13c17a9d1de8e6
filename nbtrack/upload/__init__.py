"""Getting a run to the server: the background uploader, its transport, retries and
direct uploads."""
