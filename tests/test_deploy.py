"""The production layout (deploy/): six services, only the API published, Rasa on PostgreSQL and
Redis, every command pointing at code that exists. (No Docker engine runs here: this checks the
files, not a running cluster.)"""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_compose_runs_each_part_as_its_own_service():
    compose = yaml.safe_load((DEPLOY / "compose.yml").read_text("utf-8"))
    services = compose["services"]
    assert set(services) == {"api", "rasa", "actions", "elasticsearch", "postgres", "redis"}
    published = [name for name, service in services.items() if service.get("ports")]
    assert published == ["api"]
    assert "--endpoints deploy/endpoints.yml" in services["rasa"]["command"]
    assert services["actions"]["command"].endswith("--actions actions -p 5055")
    env = services["api"]["environment"]
    assert env["GUIDE_API_DATABASE_URL"].startswith("postgresql://") and env["ELASTICSEARCH_URL"].startswith("http://elasticsearch")
    # the actions are a service of their own in production: /readyz must ask it, Rasa must call it
    assert env["GUIDE_ACTIONS_MODULE"] == "" and env["ACTION_ENDPOINT_URL"] == "http://actions:5055/webhook"
    assert "actions_module" not in yaml.safe_load((DEPLOY / "endpoints.yml").read_text("utf-8"))["action_endpoint"]


def test_production_endpoints_use_postgres_tracker_and_redis_locks():
    endpoints = yaml.safe_load((DEPLOY / "endpoints.yml").read_text("utf-8"))
    assert endpoints["lock_store"]["type"] == "redis"
    module, _, name = endpoints["tracker_store"]["type"].rpartition(".")
    assert hasattr(importlib.import_module(module), name)


def test_env_example_names_every_secret_without_values():
    lines = [l for l in (DEPLOY / "env.example").read_text("utf-8").splitlines() if l and not l.startswith("#")]
    secrets = {l.split("=", 1)[0]: l.split("=", 1)[1] for l in lines}
    assert {"GUIDE_API_SECRET_KEY", "GUIDE_API_ADMIN_TOKEN", "GUIDE_API_AGENT_TOKEN", "POSTGRES_PASSWORD"} <= set(secrets)
    assert secrets["GUIDE_API_SECRET_KEY"] == "" and secrets["GUIDE_API_ADMIN_TOKEN"] == ""


def test_the_image_writes_its_caches_where_the_service_user_may():
    dockerfile = (DEPLOY / "Dockerfile").read_text("utf-8")
    user_home = "/data"  # the only folder the image gives to its user (chown guide /data)
    assert f"chown guide {user_home}" in dockerfile
    for setting in ("GUIDE_VECTOR_CACHE", "GUIDE_API_SPEECH_CACHE_DIR"):
        value = dockerfile.split(f"{setting}=", 1)[1].split()[0]
        assert value.startswith(user_home + "/"), setting
    assert "espeak-ng" in dockerfile  # read-aloud in production, not only in CI
