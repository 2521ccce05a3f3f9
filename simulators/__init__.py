"""The bundled simulators of the systems of record (DVC, DOC, SEC), standing in for the real ones in
the demo, the tests and the bench. The words used here:

- a *generated province* is the folder `generator.generate()` writes (parts in `synthetic/`): one
  SQLite file per system (dvc.db, doc.db, sec.db) and the JSON beside them (units, self-reports,
  the answer key in truth.json, meta.json);
- the *in-process readers* (`in_process`) read those files directly, as offline connectors;
- the *HTTP server* (`server`, APIs in `api/`) serves DVC and SEC from them over loopback, and
  `loopback` points the real clients at it;
- a *fault profile* (`faults`) makes that server misbehave on purpose;
- `changes` applies a night of changes to the files, `docdb` copies doc.db into a real database,
  `load` puts units and self-reports into the warehouse.
"""
