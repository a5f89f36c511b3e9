"""Double auctions (DESIGN §2): the exact BIC LP, the optimal broker, baselines, evaluation, comparison.

- :mod:`~solvers.auction.block`: the interim variables with their BIC and IR rows, the result, the certificate;
- :mod:`~solvers.auction.pricing`, :mod:`~solvers.auction.interim`: column generation over interim allocations;
- :mod:`~solvers.auction.expost`: the ex-post LP; :mod:`~solvers.auction.lp`: the LP's front door;
- :mod:`~solvers.auction.virtual_values`, :mod:`~solvers.auction.matching`, :mod:`~solvers.auction.broker`:
  the optimal broker (ironed virtual values, greedy matching);
- :mod:`~solvers.auction.mechanisms`: trade reduction, McAfee, random matching, the DSIC broker;
- :mod:`~solvers.auction.evaluate`: revenue and ex-post regret of a rule on sampled profiles;
- :mod:`~solvers.auction.compare`: every mechanism side by side (the one registry of mechanisms);
- :mod:`~solvers.auction.plot`: the revenue and IC chart.
"""
