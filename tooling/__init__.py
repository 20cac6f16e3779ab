"""What only the tests, the demo, the docs and the benchmarks use: never deployed, never shipped."""
