"""Run every benchmark in turn (`make bench`); each appends its figures to RESULTS.md."""

from benchmarks import clustering, rendering, story_quality

story_quality.main()
rendering.main()
clustering.main()
