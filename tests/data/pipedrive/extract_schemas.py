"""Copies the response schemas the Pipedrive tests validate against out of Pipedrive's OpenAPI files.

Run from the repository root with the reference files at hand:
``python tests/data/pipedrive/extract_schemas.py /path/to/reference/pipedrive``.
The OpenAPI files use no ``$ref``; nullable (OpenAPI 3.0) is turned into JSON Schema types.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
WANTED = {
    "openapi-v2.yaml": {
        "v2_deal": ("/deals/{id}", "get", "200"),
        "v2_deal_products": ("/deals/{id}/products", "get", "200"),
        "v2_person": ("/persons/{id}", "get", "200"),
        "v2_organization": ("/organizations/{id}", "get", "200"),
        "v2_product": ("/products/{id}", "get", "200"),
    },
    "openapi-v1.yaml": {
        "v1_users_me": ("/users/me", "get", "200"),
        "v1_users_me_401": ("/users/me", "get", "401"),
        "v1_deal_fields": ("/dealFields", "get", "200"),
        "v1_person_fields": ("/personFields", "get", "200"),
        "v1_organization_fields": ("/organizationFields", "get", "200"),
        "v1_currencies": ("/currencies", "get", "200"),
    },
}


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable: true`` → JSON Schema ``type: [..., "null"]``; drop examples."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k not in {"example", "nullable"}}
    if node.get("nullable"):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        elif "enum" in out:
            out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _nullable_when_described(node: Any) -> Any:
    """The one place the OpenAPI file contradicts itself: ``next_cursor`` is typed ``string`` but
    its own description (and the pagination docs) say it is ``null`` on the last page."""
    if isinstance(node, list):
        return [_nullable_when_described(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable_when_described(v) for k, v in node.items()}
    description = out.get("description", "")
    if out.get("type") == "string" and "will be `null`" in description:
        out["type"] = ["string", "null"]
    return out


def main(reference: Path) -> None:
    for filename, wanted in WANTED.items():
        spec = yaml.safe_load((reference / filename).read_text())
        for name, (path, method, status) in wanted.items():
            response = spec["paths"][path][method]["responses"][status]
            schema = response["content"]["application/json"]["schema"]
            schema = _nullable_when_described(_json_schema(schema))
            document = {"$comment": f"{filename} {method.upper()} {path} {status}", **schema}
            (HERE / f"{name}.json").write_text(
                json.dumps(document, indent=1, sort_keys=True) + "\n"
            )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
