"""Run every benchmark in turn (`make bench`); each appends its figures to RESULTS.md."""

from benchmarks import (
    clustering,
    crawl,
    desk_pages,
    extraction_quality,
    people_quality,
    real_articles,
    rendering,
    sending,
    story_quality,
    web_pages,
)

story_quality.main()
people_quality.main()
extraction_quality.main()
rendering.main()
sending.main()
clustering.main()
crawl.main()
real_articles.main()
web_pages.main()
desk_pages.main()
