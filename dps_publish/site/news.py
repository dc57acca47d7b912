"""What each round changed, in the words of a "What's new" entry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..model.publishable import Listing, Lot, Round, SiteModel
from ..sources.rules import first_rounds_of


@dataclass(frozen=True)
class RoundNews:
    round: Round
    programme_name: str
    date: dt.date
    joined: tuple[tuple[Lot, tuple[Listing, ...]], ...]  # per lot, the listings that joined in this round
    closed_lots: tuple[Lot, ...]  # lots that took their last providers in this round

    @property
    def title(self) -> str:
        return self.round.title

    @property
    def joined_count(self) -> int:
        return len({x.provider_id for _, listings in self.joined for x in listings})

    @property
    def summary(self) -> str:
        noun = "provider" if self.joined_count == 1 else "providers"
        text = f"{self.joined_count} {noun} joined {self.programme_name} in this round."
        if self.closed_lots:
            names = ", ".join(f"lot {lot.lot_id}" for lot in self.closed_lots)
            text += f" It was the last round for {names}."
        return text


def round_news(model: SiteModel) -> list[RoundNews]:
    first = first_rounds_of(model.rounds)
    news = []
    for rnd in model.rounds:
        if rnd.status != "awarded":
            continue
        programme = model.programme(rnd.programme_id)
        joined = []
        for lot in model.lots_of(rnd.programme_id):
            listings = tuple(x for x in model.listings_of_lot(lot.programme_id, lot.lot_id) if x.round_id == rnd.round_id)
            if listings:
                joined.append((lot, tuple(sorted(listings, key=lambda x: model.provider(x.provider_id).name.lower()))))
        closed = tuple(lot for lot in model.lots_of(rnd.programme_id)
                       if lot.reopens is False and first.get(rnd.programme_id) == rnd.round_id)
        news.append(RoundNews(rnd, programme.name, rnd.award_date or rnd.closes, tuple(joined), closed))
    return news


def provider_names(model: SiteModel, news: RoundNews) -> dict[str, str]:
    return {x.provider_id: model.provider(x.provider_id).name for _, listings in news.joined for x in listings}
