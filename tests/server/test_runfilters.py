"""Run filters and orders in SQL (wandb's MongoDB-style language), on SQLite and PostgreSQL.

Each filter has its expected runs written out by hand, and the local evaluator
(``nbtrack.api.filters.matches``) must agree with the server on every one of them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from nbtrack.api import filters as run_filters
from nbtrack.api import runorder
from tests.server.support import Server

RUNS: dict[str, dict[str, Any]] = {
    "r0": {
        "name": "alpha-1",
        "config": {"lr": 0.1, "opt": "adam", "layers": [64, 64], "nested": {"depth": 3}},
        "summary": {"loss": 0.5, "acc": 0.8, "train.loss": 0.4},
        "tags": ["a", "b"],
        "group": "g1",
        "job_type": "train",
        "state": "finished",
        "created_at": 1_700_000_000.0,
    },
    "r1": {
        "name": "beta-2",
        "config": {"lr": 0.01, "opt": "sgd", "flag": True},
        "summary": {"loss": 0.2, "acc": float("nan")},
        "tags": ["b"],
        "group": "g2",
        "state": "finished",
        "created_at": 1_700_000_100.0,
    },
    "r2": {
        "name": "alpha-3",
        "config": {"lr": "0.1", "opt": None},
        "summary": {"loss": "n/a", "train": {"loss": 0.1}},
        "tags": [],
        "job_type": "eval",
        "state": "failed",
        "created_at": 1_700_000_200.0,
    },
    "r3": {
        "name": "gamma",
        "config": {"lr": 1, "big": 10, "huge": 2**64 - 1},
        "summary": {},
        "tags": ["c"],
        "state": "running",
        "created_at": 1_700_000_300.0,
    },
}

CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"config.lr": 0.1}, {"r0"}),
    ({"config.lr": {"$gt": 0.05}}, {"r0", "r3"}),
    ({"config.lr": {"$in": [0.01, "0.1"]}}, {"r1", "r2"}),
    ({"config.opt": None}, {"r2", "r3"}),
    ({"config.opt": {"$exists": True}}, {"r0", "r1", "r2"}),
    ({"config.opt": {"$ne": "adam"}}, {"r1", "r2", "r3"}),
    ({"config.opt": {"$nin": ["adam", "sgd"]}}, {"r2", "r3"}),
    ({"summary_metrics.loss": {"$lt": 0.3}}, {"r1"}),
    ({"summary_metrics.train.loss": {"$lte": 0.4}}, {"r0", "r2"}),
    ({"summary.acc": None}, {"r1", "r2", "r3"}),
    ({"display_name": {"$regex": "^alpha"}}, {"r0", "r2"}),
    ({"displayName": "gamma"}, {"r3"}),
    ({"tags": "b"}, {"r0", "r1"}),
    ({"tags": {"$in": ["c", "a"]}}, {"r0", "r3"}),
    ({"tags": {"$nin": ["b"]}}, {"r2", "r3"}),
    ({"tags": ["a", "b"]}, {"r0"}),
    ({"tags": {"$regex": "^c"}}, {"r3"}),
    ({"$or": [{"state": "failed"}, {"group": "g2"}]}, {"r1", "r2"}),
    ({"$nor": [{"state": "finished"}]}, {"r2", "r3"}),
    ({"$and": [{"config.opt": "adam"}, {"tags": "a"}]}, {"r0"}),
    ({"config.lr": {"$not": {"$gt": 0.05}}}, {"r1", "r2"}),
    ({"$not": {"config.lr": {"$gte": 0.1}}}, {"r1", "r2"}),
    ({"job_type": {"$exists": False}}, {"r1", "r3"}),
    ({"jobType": "eval", "state": "failed"}, {"r2"}),
    ({"config.layers": [64, 64]}, {"r0"}),
    ({"config.flag": True}, {"r1"}),
    ({"config.nested.depth": {"$gte": 3}}, {"r0"}),
    ({"config.lr": {"$gt": "0"}}, {"r2"}),
    ({"config.opt": {"$regex": "^s"}}, {"r1"}),
    ({"created_at": {"$gt": "2023-11-14T22:14:00Z", "$lt": 1_700_000_250}}, {"r1", "r2"}),
    ({"createdAt": {"$lte": "2023-11-14"}}, set()),
    ({"state": {"$in": ["running"]}}, {"r3"}),
    ({"group": {"$gte": "g2"}}, {"r1"}),
    ({"config.big": {"$gt": 5, "$lt": 20}}, {"r3"}),
    ({"config.huge": {"$gt": 2**63}}, {"r3"}),  # beyond 64-bit signed integers
    ({"config.huge": 10**30}, set()),
    ({"config.lr": {"$lt": -(10**30)}}, set()),
]

ORDERS = [
    ("+summary_metrics.loss", ["r1", "r0", "r2", "r3"]),
    ("-summary_metrics.loss", ["r0", "r1", "r2", "r3"]),
    ("+config.lr.value", ["r1", "r0", "r3", "r2"]),
    ("-created_at", ["r3", "r2", "r1", "r0"]),
    ("+created_at", ["r0", "r1", "r2", "r3"]),
    ("display_name", ["r0", "r2", "r1", "r3"]),
    ("-summary.train.loss", ["r0", "r2", "r3", "r1"]),  # ties: by creation, newest first
]

BAD = [
    ({"config.lr": {"$foo": 1}}, "$foo"),
    ({"colour": "red"}, "colour"),
    ({"$where": "x"}, "$where"),
    ({"config.lr": {"$gt": [1]}}, "$gt"),
    ({"$or": []}, "$or"),
    ({"tags": {"$regex": "("}}, "$regex"),
    ({"created_at": {"$gt": "yesterday"}}, "yesterday"),
    ({"config.lr": {"$in": list(range(1001))}}, "1001 conditions"),
    ({"$or": [{"config.lr": i} for i in range(600)] * 2}, "1200 conditions"),
]


def nested(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {"config.lr": 0.1}
    for _ in range(levels):
        node = {"$and": [node]}
    return node


BAD.append((nested(200), "deeper than 32"))


@pytest.fixture
def project(server: Server, uid: str) -> tuple[str, str]:
    name, key = server.new_user()
    for run_id, fields in RUNS.items():
        body = json.dumps(fields)  # NaN as the bare literal, as the client sends it
        server.ok("PUT", f"/runs/{name}/f{uid}/{run_id}", key, content=body)
    return f"/projects/{name}/f{uid}/runs", key


def ids(server: Server, path: str, key: str, **params: Any) -> list[str]:
    return [r["id"] for r in server.ok("GET", path, key, params=params)["runs"]]


def local_doc(fields: dict[str, Any]) -> dict[str, Any]:
    return {"display_name": fields["name"], **fields}


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[json.dumps(q) for q, _ in CASES])
def test_filters_match_the_same_runs_on_the_server_and_locally(
    server: Server, project: tuple[str, str], query: dict[str, Any], expected: set[str]
) -> None:
    path, key = project
    assert set(ids(server, path, key, filters=json.dumps(query))) == expected
    node = run_filters.parse(query)
    assert {r for r, fields in RUNS.items() if run_filters.matches(node, local_doc(fields))} == (
        expected
    )


@pytest.mark.parametrize(("order", "expected"), ORDERS)
def test_orders_sort_alike_on_the_server_and_locally(
    server: Server, project: tuple[str, str], order: str, expected: list[str]
) -> None:
    path, key = project
    assert ids(server, path, key, order=order) == expected
    docs = [(r, local_doc(fields)) for r, fields in RUNS.items()]
    assert [r for r, _ in runorder.sort(docs, runorder.parse(order), lambda p: p[1])] == expected


def test_filter_total_and_pages(server: Server, project: tuple[str, str]) -> None:
    path, key = project
    query = json.dumps({"tags": {"$exists": True}})
    first = server.ok(
        "GET", path, key, params={"filters": query, "order": "+created_at", "limit": 3}
    )
    assert first["total"] == 4 and [r["id"] for r in first["runs"]] == ["r0", "r1", "r2"]
    rest = ids(server, path, key, filters=query, order="+created_at", limit=3, offset=3)
    assert rest == ["r3"]


@pytest.mark.parametrize(("query", "named"), BAD, ids=[n for _, n in BAD])
def test_unknown_operators_fields_and_values_are_refused_by_name(
    server: Server, project: tuple[str, str], query: dict[str, Any], named: str
) -> None:
    path, key = project
    answer = server.request("GET", path, key, params={"filters": json.dumps(query)})
    assert answer.status_code == 400 and named in answer.json()["error"]["message"]
    with pytest.raises(ValueError, match=named.replace("$", r"\$").replace("(", r"\(")):
        run_filters.parse(query)


def test_bad_filter_json_and_orders_are_400s(server: Server, project: tuple[str, str]) -> None:
    path, key = project
    answer = server.request("GET", path, key, params={"filters": "{not json"})
    assert answer.status_code == 400 and "filters" in answer.json()["error"]["message"]
    for order in ("tags", "+bogus"):
        answer = server.request("GET", path, key, params={"order": order})
        assert answer.status_code == 400 and order.lstrip("+") in answer.json()["error"]["message"]


def test_private_projects_stay_hidden_and_public_ones_filter_for_anyone(
    server: Server, project: tuple[str, str]
) -> None:
    path, key = project
    query = {"filters": json.dumps({"tags": "b"})}
    assert server.request("GET", path, params=query).status_code == 404
    _, other = server.new_user()
    assert server.request("GET", path, other, params=query).status_code == 404
    entity, name = path.split("/")[2:4]
    server.ok("PATCH", f"/projects/{entity}/{name}", key, json={"visibility": "public"})
    assert {r["id"] for r in server.ok("GET", path, params=query)["runs"]} == {"r0", "r1"}


def test_the_largest_filters_accepted_are_answered(
    server: Server, project: tuple[str, str]
) -> None:
    path, key = project
    wide = {"config.big": {"$in": [*range(999), 10]}}
    assert ids(server, path, key, filters=json.dumps(wide)) == ["r3"]
    many = {"$or": [{"config.lr": i / 1000} for i in range(999)] + [{"tags": "c"}]}
    assert set(ids(server, path, key, filters=json.dumps(many))) == {"r0", "r1", "r3"}
    deep = nested(30)
    assert ids(server, path, key, filters=json.dumps(deep)) == ["r0"]
    assert ids(server, path, key, filters=json.dumps({"$nor": [deep]}), order="+created_at") == [
        "r1",
        "r2",
        "r3",
    ]
