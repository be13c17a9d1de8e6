"""A run's metric definitions (define_metric) are merged by name; summary keys can be removed."""

from __future__ import annotations

from tests.server.support import Server


def test_metrics_merge_by_name_and_summary_keys_are_unset(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"/runs/{name}/p{uid}/r1"
    loss = {"name": "loss", "step_metric": None, "summary": ["min"], "hidden": False}
    created = server.ok("PUT", path, key, json={"metrics": {"loss": loss}, "summary": {"a": 1}})
    assert created["metrics"] == {"loss": loss}
    epoch = {"name": "val/*", "step_metric": "epoch", "summary": None, "hidden": False}
    server.ok("PUT", path, key, json={"metrics": {"val/*": epoch}, "summary": {"b": 2, "c": 3}})
    updated = server.ok("PUT", path, key, json={"summary_unset": ["a", "c", "never-set"]})
    assert updated["metrics"] == {"loss": loss, "val/*": epoch}
    assert updated["summary"] == {"b": 2}
    both = server.ok("PUT", path, key, json={"summary": {"a": 5}, "summary_unset": ["b"]})
    assert both["summary"] == {"a": 5}


def test_bad_metrics_and_unset_payloads_are_refused(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"/runs/{name}/p{uid}/r2"
    for body in ({"metrics": ["loss"]}, {"summary_unset": "a"}, {"summary_unset": [1]}):
        answer = server.request("PUT", path, key, json=body)
        assert answer.status_code == 400, (body, answer.text)
