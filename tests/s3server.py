"""An S3 endpoint on loopback for the tests: moto's ``ThreadedMotoServer`` on 127.0.0.1 and
a free port, started once per test session (``s3_endpoint``). ``s3_storage`` gives each
test a bucket of its own and points the process at it (``ZZ_STORAGE_URL`` and the standard
``AWS_*`` variables, restored afterwards), so the code under test, and the worker
processes it starts, find the store exactly as a deployment would."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from zz_core.store.objects import S3Objects

S3_REGION = "us-east-1"
S3_KEY_ID = "testing"
S3_SECRET = "testing"  # moto accepts any credentials


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """``http://127.0.0.1:<port>``: a moto S3 server running for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_environment(endpoint: str, url: str) -> dict[str, str]:
    """The environment a process needs to keep its audio at ``url`` on ``endpoint``."""
    return {"ZZ_STORAGE_URL": url, "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": S3_KEY_ID, "AWS_SECRET_ACCESS_KEY": S3_SECRET,
            "AWS_REGION": S3_REGION}


def make_bucket(endpoint: str, prefix: str = "zz") -> S3Objects:
    """A new empty bucket on ``endpoint``, as the store ``s3://<bucket>/<prefix>``."""
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name=S3_REGION,
                          aws_access_key_id=S3_KEY_ID, aws_secret_access_key=S3_SECRET)
    bucket = f"zz-test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return S3Objects(bucket, prefix, endpoint_url=endpoint, region=S3_REGION,
                     access_key_id=S3_KEY_ID, secret_access_key=S3_SECRET)


@pytest.fixture
def s3_storage(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3Objects:
    """A fresh bucket, configured as the audio store (``ZZ_STORAGE_URL`` and ``AWS_*`` set
    for this test only)."""
    store = make_bucket(s3_endpoint)
    for name, value in s3_environment(s3_endpoint, store.url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return store
