"""The HTTP APIs the simulated DVC and SEC systems serve (see `simulators.server` for the server):
what goes on the wire, each system's routes, and the database each one reads."""
