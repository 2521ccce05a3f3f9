"""Scoring: measured value → points per leaf, aggregation up the tree, and rankings."""

from dti.scoring.aggregate import UnitTotals, aggregate_unit
from dti.scoring.methods import ScoringError, display, display_dti, round2, score_leaf, score_peer_group
from dti.scoring.ranking import (
    LeafMove,
    RankedUnit,
    UnitScore,
    competition_ranks,
    peer_group_ranks,
    rank_movers,
    side_by_side,
)

__all__ = [
    "LeafMove",
    "RankedUnit",
    "ScoringError",
    "UnitScore",
    "UnitTotals",
    "aggregate_unit",
    "competition_ranks",
    "display",
    "display_dti",
    "peer_group_ranks",
    "rank_movers",
    "round2",
    "score_leaf",
    "score_peer_group",
    "side_by_side",
]
