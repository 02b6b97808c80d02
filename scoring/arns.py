"""ARNs of local resources, shaped like real ones so every ARN rule applies to both sources."""

from __future__ import annotations

import re

LOCAL_ACCOUNT = "000000000000"
LOCAL_PREFIX = f"arn:aws:personalize:local:{LOCAL_ACCOUNT}"

#: The pattern botocore's service model gives for ARNs (PERSONALIZE.md).
ARN_PATTERN = re.compile(r"arn:([a-z\d-]+):personalize:.*:.*:.+")
MAX_ARN = 256


def local_arn(kind: str, *names: str) -> str:
    """e.g. local_arn("campaign", "demo-user-personalization")."""
    return f"{LOCAL_PREFIX}:{kind}/" + "/".join(names)


def is_valid(arn: str) -> bool:
    return len(arn) <= MAX_ARN and ARN_PATTERN.fullmatch(arn) is not None
