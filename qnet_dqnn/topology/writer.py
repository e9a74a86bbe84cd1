"""Write topology data as a YAML file with a comment header."""

from __future__ import annotations

from typing import Any

import yaml


def dump_topology(data: dict[str, Any], header: str = "") -> str:
    """YAML text for topology data, nodes and links one per line, after a ``#`` comment header."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    body = {k: v for k, v in data.items() if k not in ("nodes", "links")}
    text = yaml.safe_dump(body, sort_keys=False, default_flow_style=False)
    for key in ("nodes", "links"):
        text += f"{key}:\n" + "".join(
            f"  - {yaml.safe_dump(item, default_flow_style=True, sort_keys=False, width=1000).strip()}\n"
            for item in data.get(key, [])
        )
    return "\n".join(lines) + ("\n" if lines else "") + text
