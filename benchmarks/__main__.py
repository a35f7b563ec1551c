"""Run every benchmark in turn (`make bench`); each appends its figures to RESULTS.md."""

from benchmarks import clustering, extraction_quality, rendering, story_quality

story_quality.main()
extraction_quality.main()
rendering.main()
clustering.main()
