"""What the desk does once as it starts, before it answers anyone: sweep what a crash left, check the history."""

from __future__ import annotations

import os

from . import audit
from .config import DeskConfig
from .uploads import sweep_partial_uploads


def at_start(config: DeskConfig) -> list[str]:
    """Tidy up after a crash and check the history's chain; what a person starting the desk should read, in words."""
    said = []
    swept = sweep_partial_uploads(config.drafts)
    if swept:
        said.append(f"Removed {swept} partly received upload file{'s' if swept != 1 else ''} left by the desk "
                    "stopping in the middle of an upload (nothing from those uploads was kept).")
    if config.audit_log.is_file():
        os.chmod(config.audit_log, 0o600)  # a log made before it was kept private
    broken = audit.verify(config.audit_log)
    if broken:
        said.append(broken)
    return said
