"""Sweeps: many one-trader solves, one table.

- :mod:`~solvers.sweeps.spec`: instances (the cartesian product of swept values) and their keys;
- :mod:`~solvers.sweeps.checks`: every argument checked before any work;
- :mod:`~solvers.sweeps.executors`: serial, a local process pool, or a Dask scheduler;
- :mod:`~solvers.sweeps.store`: the SQLite store (resume, failures recorded);
- :mod:`~solvers.sweeps.run`: the submit / wait loop and :func:`~solvers.sweeps.run.sweep`;
- :mod:`~solvers.sweeps.plot`: menu profit and bundling gain against the first numeric axis.
"""
