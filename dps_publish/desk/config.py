"""The folders the desk works on: the same options as ``dps-publish build``, plus its own drafts and users."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from ..pipeline import Project
from ..settings import PublishSettings, load_settings


@dataclass(frozen=True)
class DeskConfig:
    data: Path
    output: Path
    frozen: Path
    cache: Path
    settings: Path
    content: Path
    theme: Path
    drafts: Path
    users: Path
    host: str = "127.0.0.1"
    port: int = 8001

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Path):
                object.__setattr__(self, f.name, value.expanduser().absolute())

    @property
    def audit_log(self) -> Path:
        from .audit import AUDIT_FILE

        return self.frozen / AUDIT_FILE

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def load_settings(self) -> PublishSettings:
        return load_settings(self.settings)

    def project(self, settings: PublishSettings, **changes) -> Project:
        """The project a build of the live folders would be; ``changes`` swap in a draft's folders."""
        project = Project(self.data, self.output, self.content, self.theme, settings, cache=self.cache,
                          frozen=self.frozen)
        return replace(project, **changes)

    def to_dict(self) -> dict:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict) -> DeskConfig:
        kinds = {f.name: f.type for f in fields(cls)}
        return cls(**{k: (Path(v) if kinds[k] == "Path" else v) for k, v in values.items()})
