"""Request bodies of the API, validated strictly (wrong types are a 400 naming the field)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo

from nbtrack.server import values
from nbtrack.server.wire import loads

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def clean_text(value: str) -> str:
    """Text the databases can store: no NUL characters, valid Unicode."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


def storable(value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
    """A JSON object the server can store and show (see ``values``)."""
    found = values.problem(value, info.field_name or "value")
    if found is not None:
        raise ValueError(found)
    return value


Text = Annotated[str, AfterValidator(clean_text), Field(max_length=100_000)]
ShortText = Annotated[str, AfterValidator(clean_text), Field(max_length=1024)]
Tag = Annotated[str, AfterValidator(clean_text), Field(min_length=1, max_length=256)]
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
Seconds = Annotated[float, Field(ge=0, le=values.MAX_TIMESTAMP, allow_inf_nan=False)]
JsonObject = Annotated[dict[str, Any], AfterValidator(storable)]
State = Literal["running", "preempting", "finished", "failed", "crashed", "killed"]


class Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class RunPatch(Body):
    """Create-or-update a run; every field optional, config, summary and metrics merged key by
    key; ``summary_unset`` removes summary keys (after the merge)."""

    name: ShortText | None = None
    display_name: ShortText | None = None
    config: JsonObject | None = None
    summary: JsonObject | None = None
    summary_unset: Annotated[list[Text], Field(max_length=100_000)] | None = None
    metrics: JsonObject | None = None
    tags: Annotated[list[Tag], Field(max_length=1000)] | None = None
    notes: Text | None = None
    group: ShortText | None = None
    job_type: ShortText | None = None
    git: JsonObject | None = None
    metadata: JsonObject | None = None
    state: State | None = None
    exit_code: Int64 | None = None
    created_at: Seconds | None = None
    runtime: Seconds | None = None


class RunEdit(Body):
    """Edit a run after the fact (``run.update()``): config and summary replace the stored ones."""

    name: ShortText | None = None
    display_name: ShortText | None = None
    config: JsonObject | None = None
    summary: JsonObject | None = None
    tags: Annotated[list[Tag], Field(max_length=1000)] | None = None
    notes: Text | None = None
    group: ShortText | None = None
    job_type: ShortText | None = None


class HistoryRecord(Body):
    offset: Annotated[int, Field(ge=0, le=INT64_MAX)]
    step: Int64
    data: dict[str, Any]


class HistoryBatch(Body):
    records: Annotated[list[HistoryRecord], Field(max_length=100_000)]


def history_batch(body: bytes) -> HistoryBatch:
    """A history request body, parsed and checked in one pass (pydantic's JSON parser); what that
    parser refuses (lone surrogates, deep nesting) is read by the json module, so the value checks
    can name it. Wrong fields are the same 400 as for any other body."""
    try:
        return HistoryBatch.model_validate_json(body)
    except ValidationError as exc:
        if not any(e["type"] == "json_invalid" for e in exc.errors()):
            raise RequestValidationError(exc.errors()) from None
    try:
        return HistoryBatch.model_validate(loads(body))
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads its body itself (nested models inlined)."""
    schema = model.model_json_schema(ref_template="{model}")
    content = {"application/json": {"schema": _inline(schema, schema.pop("$defs", {}))}}
    return {"requestBody": {"required": True, "content": content}}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"]], defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    return [_inline(v, defs) for v in node] if isinstance(node, list) else node


class Visibility(Body):
    visibility: Literal["private", "public"]


class NewUser(Body):
    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    admin: bool = False


class NewTeam(Body):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class Membership(Body):
    role: Literal["admin", "member", "viewer"]


class NewKey(Body):
    label: ShortText | None = None
