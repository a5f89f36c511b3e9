"""The double-auction transformer (DESIGN §2, "Deep Learning for Double Auction").

Every agent is a token: buyer i carries (normalized bid, demand D_i, value bounds lo, hi),
seller j (normalized ask, supply S_j, cost bounds lo, hi). Per side a
``nn.TransformerEncoder`` (self-attention), then

- a price decoder (``nn.TransformerDecoder``: buyer tokens query the seller memory) giving
  each buyer a share beta_i in (0, 1),
- an offer decoder (seller tokens query the buyer memory) giving each seller sigma_j in (0, 1),
- a cross-attention matching module: per head the scaled dot product of buyer queries with
  seller keys, heads mixed linearly, into an m x n score matrix, plus a learnable multiple
  of the report gap (bid_i - ask_j) / span (not in the paper; see below).

Feasibility layers: x_ij = sigmoid(score_ij) min(D_i, S_j) >= 0, each column divided by
max(1, sum_i x_ij / S_j), then each row by max(1, sum_j x_ij / D_i) (dividing rows only
shrinks entries, so columns stay feasible); q_i = row sums, r_j = column sums, so units
bought equal units sold by construction. The caps carry a relative margin of a few float
epsilons so that the constraints hold exactly after rounding.

IR layers: buyer i pays p_i q_i with unit price p_i = bid_i - (1 - beta_i)(bid_i - lo_b),
in [lo_b, bid_i] (for lo_b = 0 this is beta_i bid_i); seller j receives rho_j r_j with
rho_j = ask_j + sigma_j (hi_s - ask_j) in [ask_j, hi_s]. Truthful agents never lose
(ex-post IR), for every parameter value; incentive compatibility is only learned
(neural/auction_train.py) and measured (``regret_search``).

The gap term (initial weight 8: x_ij starts near sigmoid(8 (bid_i - ask_j))) is our
addition. Without it, our short CPU trainings (1x1 U[0,1], 300 steps) collapsed to no
trade whenever the penalty was strong enough to bring regret down (GCE on; or off with the
penalty growing from 0.5 to 8); only a weak constant penalty without GCE kept trading,
with an expected regret of 0.048 per agent. The untrained net trades every pair whatever
the reports, so the quickest way to cut the losses and the regret is to stop trading, and
a saturated sigmoid does not come back. With the term the net starts from an
efficient-looking matching and learns margins and prices (same 1x1 run with GCE: revenue
0.0375 against the optimum 1/24 = 0.0417, expected regret 2e-4). ``gap_weight=0`` starts
from pure cross-attention (the term stays learnable).

Without positional encodings the net is permutation-equivariant within each side and
takes any m, n. ``AuctionTransformer`` holds no setting; capacities and bounds are inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

FEATURES = 4          # per token: normalized report, capacity, lo, hi
OUTCOME_CHUNK = 4096  # profiles per forward pass in the numpy adapter
INIT_SHARE_LOGIT = 2.0  # initial bias of the beta and -sigma logits (see AuctionTransformer.__init__)


@dataclass(frozen=True)
class NetOutcome:
    """One outcome per profile: units and total payments (tensors (S, m) and (S, n))."""

    allocation: torch.Tensor   # x (S, m, n)
    buyer_units: torch.Tensor  # q = row sums of x
    buyer_pay: torch.Tensor    # p q, p in [lo_b, bid]
    seller_units: torch.Tensor  # r = column sums of x
    seller_recv: torch.Tensor  # rho r, rho in [ask, hi_s]


def _cap_scale(x: torch.Tensor, cap: torch.Tensor, dim: int) -> torch.Tensor:
    """Divide the lines of x along ``dim`` by max(1, sum (1 + tol) / cap).

    tol = 2 (count + 4) eps covers the rounding of the sum, the division and the later sums
    (each relative error is at most eps per term), so the scaled sums stay <= cap exactly.
    """
    tol = 2 * (x.shape[dim] + 4) * torch.finfo(x.dtype).eps
    total = x.sum(dim, keepdim=True) * (1 + tol)
    return x / torch.clamp(total / cap.unsqueeze(dim), min=1.0)


def feasible_allocation(scores: torch.Tensor, demand: torch.Tensor, supply: torch.Tensor) -> torch.Tensor:
    """x (S, m, n) >= 0 with column sums <= supply and row sums <= demand."""
    x = torch.sigmoid(scores) * torch.minimum(demand[:, None], supply[None, :])
    return _cap_scale(_cap_scale(x, supply, dim=-2), demand, dim=-1)


def ir_outcome(bids, asks, x, buyer_keep, seller_share, bounds) -> NetOutcome:
    """Units and IR payments from the allocation and the two shares, in the inputs' dtype.

    ``buyer_keep`` = 1 - beta (the share of bid - lo_b the buyer keeps), ``seller_share`` =
    sigma, both in [0, 1]; ``bounds`` = (lo_b, hi_b, lo_s, hi_s). Written so that rounding
    cannot break IR: p = bid - nonnegative <= bid, rho = ask + nonnegative >= ask.
    """
    lo_b, _, _, hi_s = bounds
    q, r = x.sum(-1), x.sum(-2)
    price = bids - buyer_keep * (bids - lo_b).clamp_min(0)
    offer = asks + seller_share * (hi_s - asks).clamp_min(0)
    return NetOutcome(x, q, price * q, r, offer * r)


class AuctionTransformer(nn.Module):
    """Buyer/seller encoders, price/offer decoders and cross-attention matching.

    The default (d_model 64, 4 heads, 2 layers, feed-forward 128) trains on a CPU in
    minutes; the paper's configuration is d_model 256, 4 heads, 4 layers (for CUDA).
    Dropout is 0: the mechanism must be a deterministic function of the reports. Initial
    biases: beta ~ 0.88 and sigma ~ 0.12 (INIT_SHARE_LOGIT), so trades start profitable.
    """

    def __init__(self, d_model: int = 64, heads: int = 4, layers: int = 2, ff: int = 128, gap_weight: float = 8.0):
        super().__init__()
        self.heads, self.d_head = heads, d_model // heads

        def enc():
            layer = nn.TransformerEncoderLayer(d_model, heads, ff, dropout=0.0, batch_first=True)
            return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

        def dec():
            return nn.TransformerDecoder(nn.TransformerDecoderLayer(d_model, heads, ff, dropout=0.0,
                                                                    batch_first=True), layers)

        self.buyer_in, self.seller_in = nn.Linear(FEATURES, d_model), nn.Linear(FEATURES, d_model)
        self.buyer_enc, self.seller_enc = enc(), enc()
        self.price_dec, self.offer_dec = dec(), dec()
        self.price_head, self.offer_head = nn.Linear(d_model, 1), nn.Linear(d_model, 1)
        self.match_q, self.match_k = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.match_mix = nn.Linear(heads, 1)
        self.gap_weight = nn.Parameter(torch.tensor(float(gap_weight)))
        with torch.no_grad():  # start from profitable trades: buyers pay ~88% of bid, sellers get ~ask + 12%
            self.price_head.bias.fill_(INIT_SHARE_LOGIT)
            self.offer_head.bias.fill_(-INIT_SHARE_LOGIT)

    @staticmethod
    def _tokens(report, cap, lo, hi, proj):
        z = (report - lo) / (hi - lo)
        feats = torch.stack([z, cap.expand_as(z), torch.full_like(z, lo), torch.full_like(z, hi)], dim=-1)
        return proj(feats)

    def payment_shares(self, bids, asks, demand, supply, bounds):
        """(x (S, m, n), 1 - beta (S, m), sigma (S, n)): the net before the payment arithmetic."""
        lo_b, hi_b, lo_s, hi_s = (float(v) for v in bounds)
        hb = self.buyer_enc(self._tokens(bids, demand, lo_b, hi_b, self.buyer_in))
        hs = self.seller_enc(self._tokens(asks, supply, lo_s, hi_s, self.seller_in))
        beta_logit = self.price_head(self.price_dec(hb, hs)).squeeze(-1)
        sigma_logit = self.offer_head(self.offer_dec(hs, hb)).squeeze(-1)
        s, m, n = hb.shape[0], hb.shape[1], hs.shape[1]
        qm = self.match_q(hb).view(s, m, self.heads, self.d_head).transpose(1, 2)
        km = self.match_k(hs).view(s, n, self.heads, self.d_head).transpose(1, 2)
        att = qm @ km.transpose(-1, -2) / self.d_head**0.5                 # (S, H, m, n)
        scores = self.match_mix(att.permute(0, 2, 3, 1)).squeeze(-1)       # (S, m, n)
        span = max(hi_b, hi_s) - min(lo_b, lo_s)
        scores = scores + self.gap_weight * (bids[:, :, None] - asks[:, None, :]) / span
        # 1 - sigmoid(l) = sigmoid(-l), without cancellation when beta is near 1
        return feasible_allocation(scores, demand, supply), torch.sigmoid(-beta_logit), torch.sigmoid(sigma_logit)

    def forward(self, bids, asks, demand, supply, bounds) -> NetOutcome:
        """Outcomes for bids (S, m) and asks (S, n); capacities (m,), (n,); bounds (lo_b, hi_b, lo_s, hi_s)."""
        return ir_outcome(bids, asks, *self.payment_shares(bids, asks, demand, supply, bounds), bounds)


def auction_net_outcome(result, bids, asks, *, setting=None):
    """(buyer_units, buyer_pay, seller_units, seller_recv) as float64 numpy arrays (S, m), (S, n).

    For the project's evaluator, which does not import torch. ``result`` is an
    :class:`neural.auction_train.AuctionNetResult`; bids (S, m) and asks (S, n) are reports,
    clipped to the laws' supports. Capacities and bounds are ``setting``'s (default: the
    training setting; another market size works too: the net takes any m, n). The
    allocation comes from the net (float32); the unit prices are recomputed in float64
    from the net's shares, so payments stay within the IR bounds exactly for the float64
    reports.
    """
    s = result.setting if setting is None else setting
    bounds = (s.values.lo, s.values.hi, s.costs.lo, s.costs.hi)
    b64 = np.clip(np.atleast_2d(np.asarray(bids, dtype=np.float64)), bounds[0], bounds[1])
    a64 = np.clip(np.atleast_2d(np.asarray(asks, dtype=np.float64)), bounds[2], bounds[3])
    if b64.shape != (len(a64), s.buyers) or a64.shape[1] != s.sellers:
        raise ValueError(f"bids {b64.shape} and asks {a64.shape} do not fit {s.buyers} buyers and {s.sellers} "
                         f"sellers (pass setting= for another market size)")
    net = result.net
    dev, dt = next(net.parameters()).device, next(net.parameters()).dtype
    dem, sup = (torch.as_tensor(c, dtype=dt, device=dev) for c in (s.demand, s.supply))
    outs = []
    with torch.no_grad():
        for i in range(0, len(b64), OUTCOME_CHUNK):
            b, a = torch.as_tensor(b64[i:i + OUTCOME_CHUNK]), torch.as_tensor(a64[i:i + OUTCOME_CHUNK])
            shares = net.payment_shares(b.to(dev, dt), a.to(dev, dt), dem, sup, bounds)
            out = ir_outcome(b, a, *(t.cpu().double() for t in shares), bounds)
            outs.append([t.numpy() for t in (out.buyer_units, out.buyer_pay, out.seller_units, out.seller_recv)])
    return tuple(np.concatenate(parts) for parts in zip(*outs))
