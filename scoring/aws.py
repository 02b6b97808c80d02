"""Live boto3 clients with the timeouts and retries a console needs, and AWS config lookups.

Short connect/read timeouts keep a page from hanging on an unreachable endpoint; botocore's
adaptive retry mode backs off on throttling. Credentials are never read here: boto3's own
chain (profile, environment, SSO, instance role) finds them, and nothing logs or stores them.
"""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore.config import Config

CONNECT_TIMEOUT = 3
READ_TIMEOUT = 10
RETRY = {"mode": "adaptive", "max_attempts": 3}

DEFAULT_PROFILE = "(default credential chain)"


def client_config() -> Config:
    return Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, retries=dict(RETRY),
                  user_agent_extra="personalize-campaign-console")


def live_client(service: str, region: str | None, profile: str | None = None,
                endpoint_url: str | None = None) -> Any:
    """A boto3 client; `profile=None` uses the default credential chain."""
    import boto3.session  # half a second of imports, paid only when a live source is used

    session = boto3.session.Session(profile_name=profile or None, region_name=region or None)
    return session.client(service, endpoint_url=endpoint_url or None, config=client_config())


def profiles() -> list[str]:
    """Profile names from ~/.aws/config and ~/.aws/credentials (names only, never secrets)."""
    try:
        return sorted(botocore.session.Session().available_profiles)
    except Exception:  # a broken config file must not break the sidebar
        return []


def default_region() -> str | None:
    try:
        return botocore.session.Session().get_config_variable("region")
    except Exception:
        return None


def regions() -> list[str]:
    """Regions where Amazon Personalize is offered, from botocore's endpoint data."""
    return sorted(botocore.session.get_session().get_available_regions("personalize"))
