"""The parts of scripts/bench, a module a concern (see docs/benchmark.md,
"The code").  Imported with scripts/ on sys.path: scripts/bench,
scripts/gen_corpus.py and scripts/loadtest put it there."""
