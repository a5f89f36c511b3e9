"""The measure form of DESIGN §1.2 and its optimal-transport dual.

- :mod:`~solvers.measure.stencil`: the finite stencil of spreads and radial moves;
- :mod:`~solvers.measure.lp`: the u-only primal and the transport LP;
- :mod:`~solvers.measure.fold`: both LPs folded by a symmetry group;
- :mod:`~solvers.measure.solve`: solve both, certify each against the other;
- :mod:`~solvers.measure.reading`: the transport plan (:class:`~solvers.measure.reading.TransportDual`),
  its flow paths and the no-trade region;
- :mod:`~solvers.measure.plot`: its picture (the paper's Figure 3).

May use pieces of :mod:`solvers.gradient`; never the reverse.
"""
