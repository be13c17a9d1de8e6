"""The S3 store's client (botocore's, as boto3 builds it), with botocore's data trimmed to what
it uses.

botocore parses its JSON models into memory and keeps them: every service's endpoints
(``endpoints.json``, ~7 MB parsed) and the S3 model with its documentation (~3 MB). A server
keeps one client for its whole life, so the loader here keeps only the endpoints of S3 and of
the services that find credentials (STS, SSO), and drops the documentation strings (used for
docstrings only). The client is botocore's own (boto3, the extra, adds nothing to it but ~2 MB
of imports); configuration and credentials are found as boto3 finds them.
"""

from __future__ import annotations

import os
from typing import Any

KEPT_ENDPOINTS = frozenset({"s3", "sts", "portal.sso", "oidc", "sso"})


def client(endpoint_url: str | None) -> Any:
    """An S3 client, or an ImportError naming the extra to install."""
    import importlib.util

    try:
        if importlib.util.find_spec("boto3") is None:  # the extra; its botocore is what we use
            raise ImportError
        import botocore.session
        from botocore.config import Config
    except ImportError:
        raise ImportError("An s3:// storage URL needs boto3: pip install 'nbtrack[s3]'.") from None
    config = Config(
        signature_version="s3v4",
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
    )
    core = botocore.session.Session()
    core.register_component("data_loader", _loader(core.get_config_variable("data_path")))
    return core.create_client("s3", endpoint_url=endpoint_url, config=config)


def _loader(data_path: str | None) -> Any:
    from botocore.loaders import Loader

    class TrimmedLoader(Loader):  # type: ignore[misc]
        """botocore's loader; what it caches is trimmed in place (so the cache keeps less)."""

        def load_data_with_path(self, name: str) -> Any:
            found = super().load_data_with_path(name)
            if name == "endpoints":
                _keep_endpoints(found[0])
            return found

        def load_service_model(self, service: str, kind: str, api_version: Any = None) -> Any:
            model = super().load_service_model(service, kind, api_version)
            if kind == "service-2":
                _drop_documentation(model)
            return model

    paths = [os.path.expanduser(os.path.expandvars(p)) for p in (data_path or "").split(os.pathsep)]
    return TrimmedLoader(extra_search_paths=[p for p in paths if p])


def _keep_endpoints(endpoints: Any) -> None:
    for partition in endpoints.get("partitions", []):
        services = partition.get("services", {})
        for name in [n for n in services if n not in KEPT_ENDPOINTS]:
            del services[name]


def _drop_documentation(model: Any) -> None:
    model.pop("documentation", None)
    for group in ("operations", "shapes"):
        for item in model.get(group, {}).values():
            item.pop("documentation", None)
            item.pop("documentationUrl", None)
            for member in item.get("members", {}).values():
                member.pop("documentation", None)
