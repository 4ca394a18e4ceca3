"""A browsable page for the OpenAPI document, drawn on the server from the same document.

Self-contained (no CDN, no script: works on closed networks and without JavaScript); every
operation is listed whatever its body's media type (JSON, multipart uploads, text/calendar).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("apidocs", __name__, template_folder="templates")

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    parameters: list[dict[str, Any]]
    bodies: list[tuple[str, str]]  # (media type, schema as indented JSON)
    responses: list[tuple[str, str]]  # (status, description)
    anchor: str = ""


@dataclass
class Group:
    name: str
    description: str
    operations: list[Operation] = field(default_factory=list)


def _resolve(spec: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """Inline `$ref`s to components (a few levels deep) so each body reads on its own."""
    if depth > 4:
        return schema
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            target = spec.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1], {})
            return _resolve(spec, target, depth + 1)
        return {k: _resolve(spec, v, depth + 1) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_resolve(spec, v, depth + 1) for v in schema]
    return schema


def operations(spec: dict[str, Any]) -> list[Group]:
    """Every operation of the document, grouped by its first tag, in the document's order."""
    groups = {t["name"]: Group(t["name"], t.get("description", "")) for t in spec.get("tags", [])}
    for path, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            content = (op.get("requestBody") or {}).get("content") or {}
            bodies = [
                (media, json.dumps(_resolve(spec, body.get("schema", {})), indent=2)[:4000])
                for media, body in content.items()
            ]
            tag = (op.get("tags") or ["other"])[0]
            group = groups.setdefault(tag, Group(tag, ""))
            group.operations.append(
                Operation(
                    method=method,
                    path=path,
                    summary=op.get("summary", ""),
                    description=op.get("description", ""),
                    parameters=[_resolve(spec, p) for p in [*shared, *op.get("parameters", [])]],
                    bodies=bodies,
                    responses=[
                        (code, r.get("description", ""))
                        for code, r in op.get("responses", {}).items()
                    ],
                    anchor=f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                )
            )
    return [g for g in groups.values() if g.operations]


@bp.get("/api/v1/docs")
def docs() -> str:
    """Readable without credentials, like the document itself."""
    from common.api import api

    groups = operations(api.spec.to_dict())
    total = sum(len(g.operations) for g in groups)
    return render_template("common/apidocs.html", groups=groups, total=total)
