"""Background work, one module per job: grade delivery, key-set refresh, retention. The runner
(`runner.py`) schedules them; each job owns its transactions like a service."""
