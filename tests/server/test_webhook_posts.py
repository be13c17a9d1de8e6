"""Webhook posts: pinned to the address that was checked, and logged without their secret path."""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import Any

import pytest

from nbtrack.server.runs import webhooks
from tests.webhook import Receiver

PUBLIC = "198.51.100.7"  # not reachable here; public as far as the check is concerned


def rebinding(monkeypatch: pytest.MonkeyPatch, port: int) -> list[str]:
    """Make ``hook.test`` answer a public address first and loopback afterwards."""
    lookups: list[str] = []
    real = socket.getaddrinfo

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "hook.test":
            return real(host, *args, **kwargs)
        address = "127.0.0.1" if lookups else PUBLIC
        lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    monkeypatch.setattr(webhooks, "POST_TIMEOUT", 0.5)
    monkeypatch.setattr("ipaddress.IPv4Address.is_global", property(lambda ip: str(ip) == PUBLIC))
    return lookups


def test_a_rebinding_name_cannot_aim_a_post_at_loopback(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = receiver.server.server_address[1]
    lookups = rebinding(monkeypatch, port)
    webhooks._post(f"http://hook.test:{port}/hook", private_ok=False, text="hello")
    assert lookups == [PUBLIC]  # one lookup, and the connection went to what it answered
    assert receiver.bodies == []


def test_a_name_that_now_resolves_privately_is_not_posted(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    port = receiver.server.server_address[1]
    lookups = rebinding(monkeypatch, port)
    lookups.append("checked when the URL was set")
    with caplog.at_level(logging.WARNING, "nbtrack.server.runs.webhooks"):
        webhooks._post(f"http://hook.test:{port}/T000/secret-token", private_ok=False, text="x")
    assert receiver.bodies == []
    assert "now resolves to 127.0.0.1; not posted" in caplog.text
    assert "secret-token" not in caplog.text and "http://hook.test/..." in caplog.text


def test_an_admin_set_private_target_is_posted_and_failures_hide_the_path(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    webhooks._post(receiver.url + "?k=v", private_ok=True, text="hello")
    assert receiver.bodies == [{"text": "hello"}]
    port = receiver.server.server_address[1]
    receiver.close()
    with caplog.at_level(logging.WARNING, "nbtrack.server.runs.webhooks"):
        webhooks._post(f"http://127.0.0.1:{port}/T000/secret-token", private_ok=True, text="x")
    assert "failed: ConnectionRefusedError" in caplog.text
    assert "secret-token" not in caplog.text


@pytest.mark.parametrize(
    "address", ["64:ff9b::7f00:1", "64:ff9b:1::a00:1", "::127.0.0.1", "2002:a00:1::1"]
)
def test_an_ipv6_address_carrying_a_private_ipv4_one_is_not_public(address: str) -> None:
    found = webhooks.private_address(address, 443)  # loopback or 10.0.0.1 inside
    assert found is not None and ipaddress.ip_address(found) == ipaddress.ip_address(address)


def test_an_ipv6_address_carrying_a_public_ipv4_one_is() -> None:
    assert webhooks.private_address("64:ff9b::808:808", 443) is None  # 8.8.8.8 behind NAT64
    assert webhooks.private_address("2002:808:808::1", 443) is None  # and as 6to4
