"""The pages the site is made of, worked out from the model before anything is written.

Each ``Page`` says where it goes, which template renders it and what that
template receives. Keeping the list as data lets tests and the sitemap see the
whole site without rendering it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import SiteModel


@dataclass(frozen=True)
class Page:
    path: str  # the page's address below the site root, ending in "/" ("" for home)
    template: str
    title: str
    context: dict = field(default_factory=dict, compare=False)

    @property
    def save_as(self) -> str:
        return f"{self.path}index.html"


def programme_path(programme_id: str) -> str:
    return f"programmes/{programme_id}/"


def lot_path(programme_id: str, lot_id: str) -> str:
    return f"programmes/{programme_id}/lots/{lot_id}/"


def provider_path(provider_id: str) -> str:
    return f"providers/{provider_id}/"


def site_pages(model: SiteModel) -> list[Page]:
    pages = [
        Page("", "home", "Home"),
        Page("programmes/", "programmes", "Programmes"),
        Page("providers/", "providers", "Providers"),
        Page("data/", "data", "Download the data"),
    ]
    for programme in model.programmes:
        pages.append(Page(programme_path(programme.programme_id), "programme", programme.name,
                          {"programme": programme}))
        for lot in model.lots_of(programme.programme_id):
            pages.append(Page(lot_path(lot.programme_id, lot.lot_id), "lot", lot.name,
                              {"programme": programme, "lot": lot}))
    for provider in model.providers:
        pages.append(Page(provider_path(provider.provider_id), "provider", provider.name, {"provider": provider}))
    return pages
