"""Object storage for audio: one interface, a local folder (the default) or an S3 bucket.

A **key** is a relative POSIX path of one or more segments (``audio/3/<32 hex>.wav``,
``listening/3/<24 hex>.wav``); no empty, ``.`` or ``..`` segment, no backslash, no control
character, at most 1,024 characters. On the local backend the key *is* the file's path
under the root (the data folder), so the files stored before this interface existed
(``<data_dir>/audio/<user>/<name>``) are read as they are; on S3 the object's name is
``<prefix>/<key>``.

``LocalObjects(root)`` writes atomically (a private temporary file in the same folder,
then a link or rename): files are mode 0600, new folders 0700, whatever the umask.
``S3Objects(bucket, prefix)`` speaks to any S3-compatible server through boto3 (endpoint,
region and credentials from the arguments, else boto3's own chain: ``AWS_ENDPOINT_URL``,
``AWS_REGION``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``); objects are private (no
ACL is ever granted) and read by others only through short-lived presigned URLs.

``open_objects(url, data_dir)`` picks the backend: no URL (or ``file:///path``) is a
local folder, ``s3://bucket/prefix`` a bucket. Memory stays bounded whatever the file's
size: downloads and uploads of files stream through boto3's transfer manager.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol, runtime_checkable
from urllib.parse import unquote, urlparse

from zz_core.config import Settings, SettingsError, load_settings, private_dir, private_file
from zz_core.errors import InvalidValueError, NotFoundError, ZzError

__all__ = ["CACHE_DIR_NAME", "KEY_MAX_CHARS", "LocalObjects", "ObjectInfo",
           "ObjectNotFoundError", "Objects", "S3Objects", "Storage", "StorageError",
           "StorageUnavailableError", "cache_path", "cached_copy", "check_key", "join_key",
           "locate", "objects_from_settings", "open_objects", "resolve"]

KEY_MAX_CHARS = 1024
CACHE_DIR_NAME = "cache"
"""``<data_dir>/cache/<key>``: local copies of remote objects for the audio player."""
PRESIGNED_EXPIRY_S = 3600
"""How long a presigned URL for the audio player stays valid, in seconds."""
_TEMP_MARK = ".zz-partial-"  # local temporary files being written: never listed
_BAD_SEGMENTS = {"", ".", ".."}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")
_CHUNK = 1 << 20
_TRANSIENT_CODES = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout",
                    "RequestTimeTooSkewed", "ServiceUnavailable", "InternalError"}


class StorageError(ZzError):
    """The object store could not be reached or refused a request (one plain sentence)."""


class StorageUnavailableError(StorageError):
    """A transient fault: the store cannot be reached, timed out, is throttling or failed
    on its side (5xx). Worth retrying later (the queue's tasks do, with backoff)."""


class ObjectNotFoundError(NotFoundError):
    """No object under this key (never stored, expired or deleted)."""


@dataclass(frozen=True)
class ObjectInfo:
    """One stored object: its key, its size in bytes, when it was last written (UTC) and,
    on S3, its ETag (changes whenever the content does)."""

    key: str
    size_bytes: int
    modified_at: datetime
    etag: str | None = None


def check_key(key: str) -> str:
    """``key`` when it is a valid key (see the module's docstring), else
    ``InvalidValueError``."""
    if (not isinstance(key, str) or not key or len(key) > KEY_MAX_CHARS or key.startswith("/")
            or _CONTROL.search(key) or any(p in _BAD_SEGMENTS for p in key.split("/"))):
        raise InvalidValueError(f"not a storage key: {key!r}")
    return key


def join_key(*parts: str | int) -> str:
    """The key made of these segments (``join_key("audio", 3, name)``), checked."""
    return check_key("/".join(str(p).strip("/") for p in parts if str(p).strip("/")))


@runtime_checkable
class Objects(Protocol):
    """Where audio (uploads, level-matched copies) is kept. Every method takes a key
    (``check_key``); thread-safe; picklable (a worker process gets its own connection)."""

    @property
    def url(self) -> str:
        """Where this store is: ``file:///abs/root`` or ``s3://bucket/prefix`` (what
        ``open_objects`` takes back, e.g. in a job for another machine; no credentials)."""
        ...

    def put_bytes(self, key: str, data: bytes, *, exclusive: bool = False) -> None:
        """Keep ``data`` under ``key``, atomically (readers see the old object or the new
        one, never part of it) and privately. ``exclusive``: refuse (``FileExistsError``)
        when the key is taken."""
        ...

    def put_file(self, key: str, source: str | os.PathLike[str], *,
                 exclusive: bool = False) -> None:
        """``put_bytes`` of a local file's content, streamed (memory stays bounded)."""
        ...

    def open(self, key: str) -> contextlib.AbstractContextManager[IO[bytes]]:
        """The object for reading, as a binary stream (``ObjectNotFoundError``)."""
        ...

    def read_bytes(self, key: str) -> bytes:
        """The whole object in memory (``ObjectNotFoundError``): small objects only."""
        ...

    def local_copy(self, key: str) -> contextlib.AbstractContextManager[Path]:
        """A local file holding the object, for the decoder (which reads paths): the file
        itself on the local backend; on S3 a private temporary file (same extension as the
        key) streamed from the bucket and removed when the block ends
        (``ObjectNotFoundError``)."""
        ...

    def fetch(self, key: str, target: str | os.PathLike[str]) -> Path:
        """Stream the object into the local file ``target`` (created 0600, replaced if
        there); its path (``ObjectNotFoundError``)."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The object's own file on the local backend (whether or not it exists); None on
        a remote backend."""
        ...

    def exists(self, key: str) -> bool:
        """True when an object is stored under ``key``."""
        ...

    def size(self, key: str) -> int | None:
        """The object's size in bytes; None when there is none."""
        ...

    def info(self, key: str) -> ObjectInfo | None:
        """The object's size and last-modified time; None when there is none."""
        ...

    def delete(self, key: str) -> int | None:
        """Remove the object; its size in bytes, or None when it was already gone."""
        ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix`` (a plain string prefix, as in S3:
        ``"audio/3/"`` lists user 3's folder), in no particular order."""
        ...

    def player_source(self, key: str, expires_s: int = PRESIGNED_EXPIRY_S) -> str | None:
        """What the page's audio player can load: the local file's path, or a presigned
        GET URL valid for ``expires_s`` seconds; None when there is no such object."""
        ...


def _suffix(key: str) -> str:
    suffix = PurePosixPath(key).suffix
    return suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix) else ""


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class _Shared:
    """What both backends answer the same way, from their ``open`` and ``info``."""

    def open(self, key: str) -> contextlib.AbstractContextManager[IO[bytes]]:
        raise NotImplementedError

    def info(self, key: str) -> ObjectInfo | None:
        raise NotImplementedError

    def read_bytes(self, key: str) -> bytes:
        with self.open(key) as stream:
            return stream.read()

    def exists(self, key: str) -> bool:
        return self.info(key) is not None

    def size(self, key: str) -> int | None:
        found = self.info(key)
        return None if found is None else found.size_bytes


# --- a local folder ------------------------------------------------------------------------


class LocalObjects(_Shared):
    """Objects as files under ``root`` (the data folder): key ``a/b/c`` is ``root/a/b/c``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().absolute()

    def __repr__(self) -> str:
        return f"LocalObjects({str(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalObjects) and other.root == self.root

    def __hash__(self) -> int:
        return hash(("local", self.root))

    @property
    def url(self) -> str:
        return self.root.as_uri()

    def path_of(self, key: str) -> Path:
        """The file that holds (or would hold) ``key``."""
        return self.root.joinpath(*check_key(key).split("/"))

    def local_path(self, key: str) -> Path | None:
        return self.path_of(key)

    def put_bytes(self, key: str, data: bytes, *, exclusive: bool = False) -> None:
        self._put(key, lambda handle: handle.write(data), exclusive)

    def put_file(self, key: str, source: str | os.PathLike[str], *,
                 exclusive: bool = False) -> None:
        def copy(handle: IO[bytes]) -> None:
            with open(source, "rb") as reader:
                shutil.copyfileobj(reader, handle, _CHUNK)
        self._put(key, copy, exclusive)

    def _put(self, key: str, write: Any, exclusive: bool) -> None:
        """Write into a private temporary file beside the target, flush it to disk, then
        link it in (``exclusive``: fails if the target exists) or rename it over."""
        target = self.path_of(key)
        private_dir(target.parent)
        temp = target.with_name(f"{_TEMP_MARK}{uuid.uuid4().hex}")
        try:
            with os.fdopen(private_file(temp, exclusive=True), "wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            if exclusive:
                os.link(temp, target)  # FileExistsError when taken; never overwrites
            else:
                os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)

    @contextlib.contextmanager
    def open(self, key: str) -> Iterator[IO[bytes]]:
        try:
            handle = open(self.path_of(key), "rb")  # noqa: SIM115 - closed below
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectNotFoundError("the stored audio is no longer kept") from None
        with handle:
            yield handle

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self.path_of(key)
        if not path.is_file():
            raise ObjectNotFoundError("the stored audio is no longer kept")
        yield path

    def fetch(self, key: str, target: str | os.PathLike[str]) -> Path:
        path = Path(target)
        with self.open(key) as reader, os.fdopen(private_file(path), "wb") as out:
            out.truncate()
            shutil.copyfileobj(reader, out, _CHUNK)
        return path

    def info(self, key: str) -> ObjectInfo | None:
        path = self.path_of(key)
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not path.is_file():
            return None
        return ObjectInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def delete(self, key: str) -> int | None:
        path = self.path_of(key)
        try:
            size = path.stat().st_size
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return size

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        folder = prefix.rpartition("/")[0]
        base = self.root.joinpath(*check_key(folder).split("/")) if folder else self.root
        for top, dirs, files in os.walk(base):
            dirs.sort()
            for name in sorted(files):
                if name.startswith(_TEMP_MARK):
                    continue
                path = Path(top) / name
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue  # removed meanwhile
                yield ObjectInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def player_source(self, key: str, expires_s: int = PRESIGNED_EXPIRY_S) -> str | None:
        path = self.path_of(key)
        return str(path) if path.is_file() else None


# --- an S3 bucket ----------------------------------------------------------------------------


class S3Objects(_Shared):
    """Objects in an S3-compatible bucket: key ``k`` is the object ``<prefix>/k``.

    ``endpoint_url``, ``region`` and the credentials default to boto3's own chain (the
    standard ``AWS_*`` environment variables, then its config files and instance roles).
    The client is made on first use, once per process (a pickled copy makes its own).
    """

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str | None = None, access_key_id: str | None = None,
                 secret_access_key: str | None = None, client: Any = None) -> None:
        if not bucket or "/" in bucket:
            raise InvalidValueError(f"not a bucket name: {bucket!r}")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            check_key(self.prefix)
        self._options = {"endpoint_url": endpoint_url or None, "region_name": region or None,
                         "aws_access_key_id": access_key_id or None,
                         "aws_secret_access_key": secret_access_key or None}
        self._client = client
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Objects({self.bucket!r}, {self.prefix!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, S3Objects) and (other.url, other._options["endpoint_url"]) == (
            self.url, self._options["endpoint_url"])

    def __hash__(self) -> int:
        return hash(("s3", self.url, self._options["endpoint_url"]))

    def __getstate__(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "prefix": self.prefix, "options": self._options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.bucket, self.prefix, self._options = (state["bucket"], state["prefix"],
                                                   state["options"])
        self._client, self._lock = None, threading.Lock()

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def client(self) -> Any:
        """The boto3 S3 client (made on first use; boto3 clients are thread-safe)."""
        with self._lock:
            if self._client is None:
                import boto3  # late: the local default never needs it
                from botocore.config import Config

                self._client = boto3.client(
                    "s3", config=Config(retries={"max_attempts": 5, "mode": "standard"}),
                    **{k: v for k, v in self._options.items() if v is not None})
            return self._client

    def name_of(self, key: str) -> str:
        """The object's name in the bucket."""
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def local_path(self, key: str) -> Path | None:
        check_key(key)
        return None

    @contextlib.contextmanager
    def _errors(self, key: str = "") -> Iterator[None]:
        """boto3's errors as ours: a missing object ``ObjectNotFoundError``, a refused or
        unreachable store ``StorageError``."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in {"404", "NoSuchKey", "NotFound"}:
                raise ObjectNotFoundError("the stored audio is no longer kept") from None
            if code in {"PreconditionFailed", "412", "ConditionalRequestConflict"}:
                raise FileExistsError(f"{self.url}: {key} exists") from None
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if status >= 500 or code in _TRANSIENT_CODES:
                raise StorageUnavailableError(f"the audio store {self.url} is unavailable "
                                              f"({code or status})") from error
            raise StorageError(f"the audio store {self.url} refused the request "
                               f"({code or 'error'})") from error
        except BotoCoreError as error:
            raise StorageUnavailableError(f"the audio store {self.url} cannot be reached "
                                          f"({type(error).__name__})") from error

    def put_bytes(self, key: str, data: bytes, *, exclusive: bool = False) -> None:
        extra = {"IfNoneMatch": "*"} if exclusive else {}
        with self._errors(key):
            self.client.put_object(Bucket=self.bucket, Key=self.name_of(key), Body=data,
                                   **extra)

    def put_file(self, key: str, source: str | os.PathLike[str], *,
                 exclusive: bool = False) -> None:
        if exclusive and self.exists(key):
            raise FileExistsError(f"{self.url}: {key} exists")
        with self._errors(key):
            self.client.upload_file(os.fspath(source), self.bucket, self.name_of(key))

    @contextlib.contextmanager
    def open(self, key: str) -> Iterator[IO[bytes]]:
        with self._errors(key):
            body = self.client.get_object(Bucket=self.bucket, Key=self.name_of(key))["Body"]
        try:
            yield body
        finally:
            body.close()

    def read_bytes(self, key: str) -> bytes:
        with self._errors(key):
            return super().read_bytes(key)

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        folder = Path(tempfile.mkdtemp(prefix="zz-object-"))  # 0700
        target = folder / f"object{_suffix(key)}"
        try:
            self.fetch(key, target)
            yield target
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def fetch(self, key: str, target: str | os.PathLike[str]) -> Path:
        """Stream the object into the local file ``target`` (mode 0600); its path."""
        path = Path(target)
        os.close(private_file(path))
        with self._errors(key):
            self.client.download_file(self.bucket, self.name_of(key), str(path))
        os.chmod(path, 0o600)
        return path

    def info(self, key: str) -> ObjectInfo | None:
        try:
            with self._errors(key):
                head = self.client.head_object(Bucket=self.bucket, Key=self.name_of(key))
        except ObjectNotFoundError:
            return None
        return ObjectInfo(key, int(head["ContentLength"]), _utc(head["LastModified"]),
                          str(head.get("ETag", "")).strip('"') or None)

    def delete(self, key: str) -> int | None:
        size = self.size(key)
        if size is None:
            return None
        with self._errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=self.name_of(key))
        return size

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        start = f"{self.prefix}/" if self.prefix else ""
        with self._errors(prefix):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start + prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    key = str(item["Key"])[len(start):]
                    if key and not key.endswith("/"):
                        yield ObjectInfo(key, int(item["Size"]), _utc(item["LastModified"]),
                                         str(item.get("ETag", "")).strip('"') or None)

    def player_source(self, key: str, expires_s: int = PRESIGNED_EXPIRY_S) -> str | None:
        if not self.exists(key):
            return None
        with self._errors(key):
            return str(self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": self.name_of(key)},
                ExpiresIn=int(expires_s)))


# --- choosing a backend ----------------------------------------------------------------------


def open_objects(url: str | None, data_dir: str | os.PathLike[str],
                 settings: Settings | None = None) -> Objects:
    """The store ``url`` names: None or ``""`` the data folder itself (today's layout),
    ``file:///abs/path`` another folder, ``s3://bucket[/prefix]`` a bucket reached with
    the endpoint, region and credentials of ``settings`` (None: boto3's own chain);
    ``SettingsError`` for anything else."""
    if not url:
        return LocalObjects(data_dir)
    parsed = urlparse(url)
    if parsed.scheme == "file" and parsed.path:
        return LocalObjects(unquote(parsed.path))
    if parsed.scheme == "s3" and parsed.netloc:
        try:
            return S3Objects(parsed.netloc, unquote(parsed.path), **_connection(settings))
        except InvalidValueError as error:
            raise SettingsError(f"the setting storage_url is not usable: {error}") from None
    raise SettingsError("the setting storage_url must be s3://bucket/prefix or "
                        f"file:///folder, not {url!r}")


def _connection(settings: Settings | None) -> dict[str, str | None]:
    if settings is None:
        return {}
    return {"endpoint_url": settings.storage_endpoint_url, "region": settings.storage_region,
            "access_key_id": settings.storage_access_key_id,
            "secret_access_key": settings.storage_secret_access_key}


def objects_from_settings(settings: Settings,
                          data_dir: str | os.PathLike[str] | None = None) -> Objects:
    """The configured store (``ZZ_STORAGE_URL`` / secrets ``storage.url``; when unset the
    data folder, or ``data_dir`` when given), with the configured connection."""
    return open_objects(settings.storage_url,
                        settings.data_dir if data_dir is None else data_dir, settings)


def locate(ref: str, settings: Settings) -> tuple[Objects, str]:
    """The store and key a reference names: ``s3://bucket/key`` an object of that bucket
    (with the configured endpoint and credentials), anything else a key of the configured
    store (``objects_from_settings``)."""
    if ref.startswith("s3://"):
        bucket, _, key = ref[len("s3://"):].partition("/")
        store = open_objects(f"s3://{bucket}", settings.data_dir, settings)
        return store, check_key(unquote(key))
    return objects_from_settings(settings), check_key(ref)


def cache_path(data_dir: str | os.PathLike[str], key: str) -> Path:
    """Where ``cached_copy`` keeps a remote object's local copy: ``<data_dir>/cache/<key>``."""
    return Path(data_dir, CACHE_DIR_NAME).joinpath(*check_key(key).split("/"))


def cached_copy(objects: Objects, key: str, data_dir: str | os.PathLike[str]) -> Path | None:
    """A local file with the object's content for the page's audio player: on the local
    backend the object's own file; on a remote one a private copy at ``cache_path``,
    streamed once and kept (retention sweeps it). None when there is no such object."""
    own = objects.local_path(key)
    if own is not None:
        return own if own.is_file() else None
    target = cache_path(data_dir, key)
    if target.is_file():
        return target
    private_dir(target.parent)
    partial = target.with_name(f"{_TEMP_MARK}{uuid.uuid4().hex}")
    try:
        objects.fetch(key, partial)
        os.replace(partial, target)
    except ObjectNotFoundError:
        return None
    finally:
        partial.unlink(missing_ok=True)
    return target


Storage = Objects | str | os.PathLike[str] | None
"""Where the store functions keep audio: a store, or a data folder (None: the configured
one) whose configured store is meant (``resolve``)."""


def resolve(where: Storage, environ: Mapping[str, str] | None = None) -> Objects:
    """A store as given; for a data folder (None: ``ZZ_DATA_DIR``), the store configured
    in the environment (``ZZ_STORAGE_URL``), which is that folder itself when unset."""
    if isinstance(where, LocalObjects | S3Objects):
        return where
    if where is not None and not isinstance(where, str | os.PathLike):
        return where  # another implementation of the protocol
    settings = load_settings(environ=environ)
    return objects_from_settings(settings, None if where is None else Path(where))
