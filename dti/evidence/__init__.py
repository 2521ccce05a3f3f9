"""Evidence files read, not just stored: text out of each file (dti.evidence.extract), what the document
says about itself (fields), the checks a council member would make (checks), the sha256-keyed cache
and the period's run (service), and what the ledger, queue, claim page and report read (store)."""
