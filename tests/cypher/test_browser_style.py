"""cypher/browser/style.grass styles every label and type, with captions the model declares."""

from __future__ import annotations

import re

from graphkit.model import NODES, RELATIONSHIPS
from graphkit.publish.paths import cypher_dir
from graphkit.publish.properties import lint_schema

RULE_RE = re.compile(r"^(node|relationship)(?:\.(\w+))?\s*\{(.*?)\}", re.S | re.M)


def _rules() -> dict[tuple[str, str | None], dict[str, str]]:
    text = (cypher_dir() / "browser" / "style.grass").read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    out = {}
    for kind, name, body in RULE_RE.findall(text):
        props = {}
        for line in body.strip().splitlines():
            key, _, value = line.strip().rstrip(";").partition(":")
            props[key.strip()] = value.strip()
        out[(kind, name or None)] = props
    return out


def test_every_label_and_type_has_a_rule() -> None:
    rules = _rules()
    assert {n.label for n in NODES} == {n for k, n in rules if k == "node" and n}
    assert {r.type for r in RELATIONSHIPS} == {n for k, n in rules if k == "relationship" and n}
    colours = [rules[("node", n.label)]["color"] for n in NODES]
    assert len(set(colours)) == len(colours), "each label has its own colour"


def test_captions_use_published_properties() -> None:
    keys = set(lint_schema()["propertyKeys"])
    for (_, name), props in _rules().items():
        for used in re.findall(r"\{(\w+)\}", props.get("caption", "")):
            assert used in keys, (name, used)


def test_the_guide_lists_every_query() -> None:
    from graphkit.publish.queries import list_queries

    guide = (cypher_dir() / "browser" / "GUIDE.md").read_text(encoding="utf-8")
    for q in list_queries():
        assert f"| {q.name} |" in guide, q.name
