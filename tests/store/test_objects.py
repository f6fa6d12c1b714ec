"""The audio store on both backends: a local folder, and an S3 bucket on moto's server on
127.0.0.1 (``tests/s3server.py``): the same calls, the same answers."""

from __future__ import annotations

import os
import pickle
import stat
import threading
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.s3server import make_bucket
from zz_core.config import SettingsError, load_settings
from zz_core.errors import InvalidValueError, NotFoundError
from zz_core.store.objects import (
    LocalObjects,
    ObjectNotFoundError,
    Objects,
    S3Objects,
    StorageUnavailableError,
    cached_copy,
    check_key,
    join_key,
    locate,
    open_objects,
    resolve,
)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Objects:
    if request.param == "local":
        return LocalObjects(tmp_path / "data")
    return make_bucket(request.getfixturevalue("s3_endpoint"))


def test_put_read_size_list_and_delete(store: Objects, tmp_path: Path) -> None:
    assert isinstance(store, Objects)
    before = datetime.now(UTC) - timedelta(seconds=5)
    store.put_bytes("audio/3/a.wav", b"RIFF-one")
    source = tmp_path / "two.bin"
    source.write_bytes(b"x" * 3_000_000)  # past one transfer chunk
    store.put_file("audio/3/b.flac", source)
    store.put_bytes("audio/4/c.wav", b"other user")
    assert store.exists("audio/3/a.wav") and not store.exists("audio/3/zzz.wav")
    assert store.size("audio/3/b.flac") == 3_000_000 and store.size("audio/3/none") is None
    assert store.read_bytes("audio/3/a.wav") == b"RIFF-one"
    with store.open("audio/3/b.flac") as stream:
        assert stream.read(5) == b"xxxxx"
    listed = {i.key: i for i in store.list("audio/3/")}
    assert sorted(listed) == ["audio/3/a.wav", "audio/3/b.flac"]
    assert listed["audio/3/a.wav"].size_bytes == 8
    assert listed["audio/3/a.wav"].modified_at > before
    assert sorted(i.key for i in store.list("audio/")) == [
        "audio/3/a.wav", "audio/3/b.flac", "audio/4/c.wav"]
    assert sorted(i.key for i in store.list("audio/3/a")) == ["audio/3/a.wav"]
    assert list(store.list("nothing/")) == []
    info = store.info("audio/4/c.wav")
    assert info is not None and info.size_bytes == 10
    assert store.delete("audio/3/a.wav") == 8
    assert store.delete("audio/3/a.wav") is None
    assert not store.exists("audio/3/a.wav")
    with pytest.raises(ObjectNotFoundError):
        store.read_bytes("audio/3/a.wav")
    with pytest.raises(NotFoundError), store.open("audio/3/a.wav"):
        pass


def test_a_local_copy_for_the_decoder(store: Objects, tmp_path: Path) -> None:
    store.put_bytes("audio/1/x.flac", b"fLaC-data")
    with store.local_copy("audio/1/x.flac") as path:
        assert path.suffix == ".flac" and path.read_bytes() == b"fLaC-data"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    if store.local_path("audio/1/x.flac") is None:  # a remote store: the copy is gone
        assert not path.exists()
    else:
        assert path == store.local_path("audio/1/x.flac") and path.exists()
    with pytest.raises(ObjectNotFoundError), store.local_copy("audio/1/missing.wav"):
        pass
    fetched = store.fetch("audio/1/x.flac", tmp_path / "fetched")
    assert fetched.read_bytes() == b"fLaC-data"


def test_exclusive_puts_never_overwrite(store: Objects, tmp_path: Path) -> None:
    store.put_bytes("audio/1/a.wav", b"first", exclusive=True)
    with pytest.raises(FileExistsError):
        store.put_bytes("audio/1/a.wav", b"second", exclusive=True)
    source = tmp_path / "s"
    source.write_bytes(b"third")
    with pytest.raises(FileExistsError):
        store.put_file("audio/1/a.wav", source, exclusive=True)
    assert store.read_bytes("audio/1/a.wav") == b"first"
    store.put_bytes("audio/1/a.wav", b"replaced")
    assert store.read_bytes("audio/1/a.wav") == b"replaced"


def test_the_player_gets_a_path_or_a_presigned_url(store: Objects, tmp_path: Path) -> None:
    store.put_bytes("listening/1/p.wav", b"RIFF-pair")
    source = store.player_source("listening/1/p.wav")
    assert source is not None and store.player_source("listening/1/none.wav") is None
    if isinstance(store, S3Objects):
        assert source.startswith("http://127.0.0.1:") and "Signature" in source
        with urllib.request.urlopen(source, timeout=10) as answer:
            assert answer.read() == b"RIFF-pair"
    else:
        assert Path(source).read_bytes() == b"RIFF-pair"
    copy = cached_copy(store, "listening/1/p.wav", tmp_path / "data2")
    assert copy is not None and copy.read_bytes() == b"RIFF-pair"
    assert cached_copy(store, "listening/1/p.wav", tmp_path / "data2") == copy
    assert cached_copy(store, "listening/1/none.wav", tmp_path / "data2") is None


def test_both_backends_pickle(store: Objects) -> None:
    store.put_bytes("a/b", b"1")
    again = pickle.loads(pickle.dumps(store))
    assert again == store and again.read_bytes("a/b") == b"1"


def test_local_files_are_private_and_writes_atomic(tmp_path: Path) -> None:
    store = LocalObjects(tmp_path / "data")
    store.put_bytes("audio/7/a.wav", b"abc")
    path = tmp_path / "data" / "audio" / "7" / "a.wav"
    assert path.read_bytes() == b"abc"  # today's layout: the key is the path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (path.parent, path.parent.parent, tmp_path / "data"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    seen: list[bytes] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(store.read_bytes("audio/7/a.wav"))

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(50):
        store.put_bytes("audio/7/a.wav", b"x" * 200_000)
        store.put_bytes("audio/7/a.wav", b"abc")
    stop.set()
    reader.join()
    assert {len(s) for s in seen} <= {3, 200_000}  # never a partial file
    assert os.listdir(path.parent) == ["a.wav"]  # no temporary file left


@pytest.mark.parametrize("key", ["", "/abs", "a//b", "a/../b", ".", "a/./b", "a\\b",
                                 "a\nb", "x" * 1025])
def test_bad_keys_are_refused(key: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError):
        check_key(key)
    with pytest.raises(InvalidValueError):
        LocalObjects(tmp_path).put_bytes(key, b"")


def test_keys() -> None:
    assert join_key("audio", 3, "a.wav") == "audio/3/a.wav"
    assert check_key("batch/ä b.wav") == "batch/ä b.wav"


def test_choosing_a_backend(tmp_path: Path, s3_endpoint: str) -> None:
    assert open_objects(None, tmp_path) == LocalObjects(tmp_path)
    assert open_objects(f"file://{tmp_path}/other", tmp_path) == LocalObjects(tmp_path / "other")
    s3 = open_objects("s3://bucket/some/prefix/", tmp_path)
    assert isinstance(s3, S3Objects) and s3.url == "s3://bucket/some/prefix"
    assert s3.name_of("audio/1/a.wav") == "some/prefix/audio/1/a.wav"
    for bad in ("http://x", "s3://", "ftp://host/x", "s3://b/../x"):
        with pytest.raises(SettingsError):
            open_objects(bad, tmp_path)
    environ = {"ZZ_DATA_DIR": str(tmp_path), "ZZ_STORAGE_URL": "s3://bk/pre",
               "AWS_ENDPOINT_URL": s3_endpoint, "AWS_REGION": "eu-west-1"}
    settings = load_settings(environ=environ)
    assert settings.storage_url == "s3://bk/pre" and settings.storage_region == "eu-west-1"
    configured = resolve(tmp_path, environ)
    assert isinstance(configured, S3Objects) and configured.url == "s3://bk/pre"
    assert resolve(tmp_path, {"ZZ_DATA_DIR": str(tmp_path)}) == LocalObjects(tmp_path)
    assert resolve(configured) is configured
    store, key = locate("s3://other/in/a.wav", settings)
    assert isinstance(store, S3Objects) and store.url == "s3://other" and key == "in/a.wav"
    store, key = locate("audio/1/a.wav", settings)
    assert store == configured and key == "audio/1/a.wav"


def test_an_unreachable_store_is_a_transient_fault() -> None:
    import boto3
    from botocore.config import Config

    client = boto3.client("s3", endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
                          aws_access_key_id="k", aws_secret_access_key="s",
                          config=Config(retries={"max_attempts": 1}, connect_timeout=1))
    store = S3Objects("bucket", client=client)
    with pytest.raises(StorageUnavailableError, match="cannot be reached"):
        store.put_bytes("a", b"1")
