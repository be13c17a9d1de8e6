"""The errors the API answers with, one constructor per kind; each message says the fix.

ApiError(status, code, message)
├── 400 invalid            malformed JSON, wrong types, bad names
├── 401 not_logged_in      missing (for a write), unknown or revoked key
├── 403 permission_denied  the key's user may not do this on the project
├── 404 entity_not_found   the entity in the path does not exist
├── 404 not_found          project, run, file or route missing (or private and not yours)
├── 409 conflict           e.g. a run id used in another project of the entity
└── 413 too_large          request body over the limit
"""

from __future__ import annotations


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid", message)


def not_logged_in(reason: str = "No API key was sent") -> ApiError:
    return ApiError(
        401,
        "not_logged_in",
        f"{reason}: run `nbtrack login` (or set NBTRACK_API_KEY) with a valid API key.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def permission_denied(entity: str, project: str, action: str = "write to") -> ApiError:
    return ApiError(
        403,
        "permission_denied",
        f"No permission to {action} project '{entity}/{project}': ask an admin of '{entity}' "
        "to add you as a member, or log to your own entity (nbtrack.init(entity=...)).",
    )


def forbidden(message: str) -> ApiError:
    return ApiError(403, "permission_denied", message)


def entity_not_found(entity: str) -> ApiError:
    return ApiError(
        404,
        "entity_not_found",
        f"Entity '{entity}' does not exist on this server: check the spelling, or log to your "
        "own entity (your username).",
    )


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def conflict(message: str) -> ApiError:
    return ApiError(409, "conflict", message)


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "too_large",
        f"The request body is larger than the server's limit of {limit} bytes; send smaller "
        "batches (or raise the server's --max-body-mb / --max-file-mb).",
    )
