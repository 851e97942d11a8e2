"""``reeplan bench``: solver benchmarks, each run in its own process.

Modules: ``run`` (``run_bench``, the orchestration), ``configs`` (solver configurations), ``inputs``
(instances, MPS files, known optima), ``isolate`` (one run in a fresh process: wall limit, kill,
peak memory), ``child`` (what that process does), ``stats`` (summary, performance profile,
disagreements), ``report`` (the files written, the machine), ``record`` (a bench run in the run store).
Nothing is re-exported here: every child process imports this package first, and its start-up time
and memory are measured.
"""
