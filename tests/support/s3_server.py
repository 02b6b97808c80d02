"""S3 over HTTP for batch-job tests: moto's server mode on a free loopback port.

`s3_environment()` starts it and points boto3's standard environment at it
(AWS_ENDPOINT_URL_S3 and dummy credentials) for the `with` block, so the local batch jobs, the
endpoint they run in and any subprocess reach S3 exactly as they would reach AWS.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

BUCKET = "console-batch-tests"


@contextmanager
def s3_environment() -> Iterator[str]:
    """The moto server's URL, with the environment pointing at it until the block ends."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("AWS_ENDPOINT_URL_S3", url)
            patch.setenv("AWS_ACCESS_KEY_ID", "testing")
            patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
            patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
            patch.delenv("AWS_PROFILE", raising=False)
            s3().create_bucket(Bucket=BUCKET)
            yield url
    finally:
        server.stop()


def s3() -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])


def put_lines(key: str, lines: list[str]) -> str:
    """Upload a JSON-lines input file; returns its s3:// path."""
    s3().put_object(Bucket=BUCKET, Key=key, Body=("\n".join(lines) + "\n").encode("utf-8"))
    return f"s3://{BUCKET}/{key}"


def read_lines(key: str) -> list[str]:
    return s3().get_object(Bucket=BUCKET, Key=key)["Body"].read().decode("utf-8").splitlines()


def exists(key: str) -> bool:
    return "Contents" in s3().list_objects_v2(Bucket=BUCKET, Prefix=key)
