"""Which rounds a publication may freeze: the draft's awarded rounds not frozen yet.

The rounds table is read through the sources' own readers, so a round uploaded as
``rounds.xlsx`` (which replaces ``rounds.csv`` in the draft) is offered like one in a CSV file.
"""

from __future__ import annotations

from pathlib import Path

from ..sources.readers import find_table_files, normalise_label, read_table


def freezable_rounds(data: Path, frozen: Path) -> list[tuple[str, str]]:
    """Awarded rounds in the tables of ``data`` not yet frozen under ``frozen``: (id, title), in the table's order."""
    files, _ = find_table_files(Path(data))
    if "rounds" not in files:
        return []
    table = read_table("rounds", files["rounds"])
    columns = {normalise_label(label): position for position, label in enumerate(table.labels)}
    if "round_id" not in columns or "status" not in columns:
        return []
    already = {p.name for p in (frozen / "rounds").iterdir()} if (frozen / "rounds").is_dir() else set()
    rounds = []
    for _, row in table.frame.iterrows():
        round_id = str(row[columns["round_id"]]).strip()
        title = str(row[columns["title"]]).strip() if "title" in columns else ""
        if str(row[columns["status"]]).strip().lower() == "awarded" and round_id and round_id not in already:
            rounds.append((round_id, title or round_id))
    return rounds
