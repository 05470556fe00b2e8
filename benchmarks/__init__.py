"""Performance benchmarks for insource (run with ``make bench``)."""
