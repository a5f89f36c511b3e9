"""The gradient-form LP of DESIGN §1.1: variables u_i and g_i in B, pair rows added lazily.

- :mod:`~solvers.gradient.lp`: columns, the axis-neighbour rows, the vectorized all-pairs scan;
- :mod:`~solvers.gradient.fold`: the LP folded by a symmetry group;
- :mod:`~solvers.gradient.axis_reduction`: the axis LP with the allocations eliminated (a starting basis);
- :mod:`~solvers.gradient.solve`: the cut loop and the certificate;
- :mod:`~solvers.gradient.repair`: a first-order answer made exactly feasible;
- :mod:`~solvers.gradient.warm_start`: initial rows and iterates, built as data (never solves).

Never imports :mod:`solvers.measure` or the front door :mod:`solvers.api`.
"""
