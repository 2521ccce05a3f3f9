"""Domain core of the DTI verification engine: no Dagster import anywhere below this package."""

__version__ = "0.1.0"
