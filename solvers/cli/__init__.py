"""The ``solve`` command: parsing and printing only; nothing in the library imports it.

- :mod:`~solvers.cli.main`: the entry point, routing by ``--setting`` and ``--sweep``;
- :mod:`~solvers.cli.one_trader`, :mod:`~solvers.cli.sweep`, :mod:`~solvers.cli.auction`: one each;
- :mod:`~solvers.cli.common`: the stdout guard and one-line failures.
"""
