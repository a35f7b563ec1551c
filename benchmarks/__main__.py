"""Run every benchmark in turn (`make bench`); each appends its figures to RESULTS.md."""

from benchmarks import (
    clustering,
    crawl,
    extraction_quality,
    real_articles,
    rendering,
    story_quality,
)

story_quality.main()
extraction_quality.main()
rendering.main()
clustering.main()
crawl.main()
real_articles.main()
