"""Run every benchmark in turn (`make bench`)."""

from benchmarks import clustering

clustering.main()
