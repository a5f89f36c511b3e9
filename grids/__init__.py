"""Settings, allocation sets, type boxes, type distributions, grids and quadrature weights."""

from grids.allocations import ALLOCATION_KINDS, Allocations, parse_allocations
from grids.auction import AUCTION_REGISTRY, AuctionSetting, ValueLaw, make_auction_setting, parse_value_law
from grids.densities import FormulaDensity, PolytopeUniform, formula_density, polytope_uniform
from grids.distributions import Distribution, ProductDistribution, SampleDistribution, parse_distribution
from grids.errors import InvalidInput
from grids.kernel_density import KernelDensity
from grids.grid import QUADRATURE_RULES, Grid, make_grid
from grids.settings import AMM, MONOPOLIST, REGISTRY, Market, Setting, make_setting, one_good_setting
from grids.types import TypeBox, parse_types

__all__ = [
    "ALLOCATION_KINDS", "Allocations", "TypeBox", "parse_allocations", "parse_types",
    "AUCTION_REGISTRY", "AuctionSetting", "ValueLaw", "make_auction_setting", "parse_value_law",
    "AMM", "MONOPOLIST", "QUADRATURE_RULES", "REGISTRY", "Distribution", "FormulaDensity", "Grid", "InvalidInput",
    "KernelDensity", "PolytopeUniform", "formula_density", "polytope_uniform",
    "Market", "ProductDistribution", "SampleDistribution", "Setting", "make_grid", "make_setting",
    "one_good_setting", "parse_distribution",
]
