"""Uploaded files on disk, named by their SHA-256: history costs nothing for unchanged files."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from servicielle.core.errors import ServicielleError
from servicielle.core.i18n import N_, _

CHUNK = 1024 * 1024


class PayloadTooLarge(ServicielleError):
    """The upload exceeds the configured limit."""

    status = 413
    type_slug = "payload-too-large"
    title = N_("Payload too large")


@dataclass(frozen=True)
class StoredFile:
    """A file written to the store."""

    sha256: str
    size: int
    path: Path


class FileStore:
    """A content-addressed directory; several workers may share it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        """Where the file with this digest lives."""
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256

    def put_stream(self, stream: BinaryIO, *, limit: int) -> StoredFile:
        """Copy ``stream`` into the store, refusing it past ``limit`` bytes."""
        return self.put_chunks(iter(lambda: stream.read(CHUNK), b""), limit=limit)

    def put_chunks(self, chunks: Iterable[bytes], *, limit: int) -> StoredFile:
        """Store the concatenated ``chunks``; nothing is left behind if they are too many."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise PayloadTooLarge(
                            _("The file is larger than the limit of {limit} MB.").format(
                                limit=limit // (1024 * 1024)
                            )
                        )
                    digest.update(chunk)
                    out.write(chunk)
            target = self.path(digest.hexdigest())
            target.parent.mkdir(parents=True, exist_ok=True)
            # Same content, same name: replacing is harmless and atomic.
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return StoredFile(sha256=digest.hexdigest(), size=size, path=target)

    def put_bytes(self, data: bytes, *, limit: int) -> StoredFile:
        """Store ``data``."""
        return self.put_chunks([data], limit=limit)

    def exists(self, sha256: str) -> bool:
        """Whether the store holds this digest."""
        return self.path(sha256).is_file()
