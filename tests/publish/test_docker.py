"""docker/: the compose file keeps the promises the docs make (no Docker needed to check)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCKER = Path(__file__).resolve().parents[2] / "docker"


@pytest.fixture(scope="module")
def compose() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))


def test_neo4j_is_a_pinned_community_5_image_with_auth_from_the_environment(compose) -> None:
    neo4j = compose["services"]["neo4j"]
    assert re.fullmatch(r"neo4j:5\.\d+\.\d+-community", neo4j["image"])
    assert neo4j["environment"]["NEO4J_AUTH"].startswith("neo4j/${NEO4J_PASSWORD:?")
    assert "neo4j-data:/data" in neo4j["volumes"]
    assert "CMD-SHELL" in neo4j["healthcheck"]["test"]
    assert all(p.startswith("127.0.0.1:") for p in neo4j["ports"])


def test_apoc_and_gds_without_file_or_url_access(compose) -> None:
    import json

    env = compose["services"]["neo4j"]["environment"]
    assert json.loads(env["NEO4J_PLUGINS"]) == ["apoc", "graph-data-science"]
    allowed = env["NEO4J_dbms_security_procedures_allowlist"].split(",")
    assert "gds.*" in allowed and "apoc.*" not in allowed
    for reads_or_writes_files in ("apoc.load", "apoc.export", "apoc.import", "apoc.cypher"):
        assert not any(reads_or_writes_files.startswith(a.rstrip("*")) for a in allowed)
    assert env["NEO4J_dbms_security_procedures_unrestricted"] == "gds.*"
    assert env["NEO4J_apoc_export_file_enabled"] == "false"
    assert env["NEO4J_apoc_import_file_enabled"] == "false"
    assert env["NEO4J_dbms_security_allow__csv__import__from__file__urls"] == "false"


def test_the_graphkit_image_can_publish(compose) -> None:
    gk = compose["services"]["graphkit"]
    assert gk["build"]["dockerfile"] == "docker/Dockerfile"
    assert gk["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert gk["environment"]["NEO4J_URI"] == "bolt://neo4j:7687"
    dockerfile = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY cypher ./cypher" in dockerfile
    assert 'ENTRYPOINT ["graphkit"]' in dockerfile
    ignore = (DOCKER / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert {"!graphkit/", "!cypher/", "!pyproject.toml"} <= set(ignore)
