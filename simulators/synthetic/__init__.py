"""The parts of the synthetic province `simulators.generator.generate` writes: its units, the records
of each system of record, the true values and the self-reports with planted misreports."""
