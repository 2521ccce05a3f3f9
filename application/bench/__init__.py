"""Benchmarks of the real pipeline at named scales, with a DuckDB floor beside each compute stage."""

from application.bench.runner import STAGES, BenchError, run_bench

__all__ = ["STAGES", "BenchError", "run_bench"]
