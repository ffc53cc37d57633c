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


def _lab(hex_colour: str) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour."""
    rgb = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    x = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _delta_e(a: str, b: str) -> float:
    return sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b), strict=True)) ** 0.5


def test_hypotheses_have_one_colour_apart_from_every_observed_tie() -> None:
    rules = _rules()
    hypotheses = {r.type for r in RELATIONSHIPS if "score" in r.property_names()}
    assert {"SAME_USER_AS", "PREDICTED_LINK", "CLONED_SIM"} <= hypotheses
    colours = {rules[("relationship", t)]["color"] for t in hypotheses}
    assert len(colours) == 1
    (hypothesis,) = colours
    for r in RELATIONSHIPS:
        if r.type not in hypotheses:  # 20 is a clearly visible difference (CIE76)
            observed = rules[("relationship", r.type)]["color"]
            assert _delta_e(hypothesis, observed) >= 20, (r.type, observed)
    # the colour the report draws hypotheses in
    from graphkit.report.figures import HYPOTHESIS

    assert hypothesis.lower() == HYPOTHESIS.lower()


def test_captions_show_no_raw_floats() -> None:
    """A caption prints a property as stored; a DOUBLE reads 0.9999873481 there. Scores go
    through score_text (the CLI's format), money amounts are the only floats shown."""
    from graphkit.publish.properties import ANALYSIS_PROPERTIES

    dtypes = {p.name: p.dtype for n in NODES for p in n.properties}
    dtypes |= {p.name: p.dtype for r in RELATIONSHIPS for p in r.properties}
    dtypes |= {p.name: p.dtype for p in ANALYSIS_PROPERTIES}
    for (_, name), props in _rules().items():
        for used in re.findall(r"\{(\w+)\}", props.get("caption", "")):
            assert dtypes.get(used) != "DOUBLE" or used == "amount", (name, used)
