"""An Ollama Modelfile for an exported GGUF, matching how it was trained.

The model learned its answers inside the GGUF's own chat template, which for the catalog's
models (SmolLM2, Qwen2.5) is ChatML with a default system message when the conversation has
none. The Modelfile says the same in Ollama's template language: ChatML turns, that system
message, stop at the turn markers, greedy decoding. Another template is left to Ollama,
which reads the GGUF's chat template itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHATML_TEMPLATE = '''TEMPLATE """{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
"""'''


def modelfile(gguf_path: Path, num_ctx: int = 4096) -> str:
    template = chat_template(gguf_path)
    name = gguf_path.stem
    lines = [
        f"# Ollama: ollama create {name} -f {gguf_path.name.removesuffix('.gguf')}.Modelfile",
        f"# then INCIDENT_GRAPH_OLLAMA_MODEL_SMALL={name} (or _LARGE), see docs/finetune.md",
        f"FROM ./{gguf_path.name}",
    ]
    if "<|im_start|>" in template:
        lines.append(CHATML_TEMPLATE)
        system = default_system(template)
        if system:
            lines.append(f'SYSTEM """{system}"""')
        lines += ['PARAMETER stop "<|im_start|>"', 'PARAMETER stop "<|im_end|>"']
    else:
        lines.append("# no TEMPLATE: Ollama uses the chat template stored in the GGUF")
    lines += ["PARAMETER temperature 0", f"PARAMETER num_ctx {num_ctx}"]
    return "\n".join(lines) + "\n"


def chat_template(gguf_path: Path) -> str:
    from gguf import GGUFReader

    field = GGUFReader(gguf_path).get_field("tokenizer.chat_template")
    return str(field.contents()) if field else ""


def default_system(template: str) -> str:
    """The system message the template inserts when a chat has none ('' if it adds none)."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def fail(message: str) -> Any:
        raise ValueError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    rendered = env.from_string(template).render(
        messages=[{"role": "user", "content": "x"}], add_generation_prompt=True,
        bos_token="", eos_token="", raise_exception=fail,
    )  # fmt: skip
    head = "<|im_start|>system\n"
    if not rendered.startswith(head):
        return ""
    return rendered[len(head) : rendered.find("<|im_end|>")]
