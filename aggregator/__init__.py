"""The core of Solidarity Wire: configuration, the database, storage, URLs, dedupe and curation.

Nothing here imports `crawlers`, `newsletter` or `wire`; they import this.
"""
