"""Benchmarks: `python -m bench` (or `make bench`) runs them all and prints one table.

Each bench module (``bench/bookings.py``...) is a script run in its own process against a
throwaway database, because Django settings are fixed per process. It prints one JSON result
line (see ``bench.harness``); ``bench/__main__.py`` collects them. Nothing here is collected by
pytest: benches measure, tests assert.
"""
