"""Examples to token ids, the way llama.cpp will see them at inference.

llama-cpp-python renders a chat with the GGUF's own chat template (`tokenizer.chat_template`,
which transformers reads from the same file) and tokenizes it without adding a BOS. The
prompt is that rendering with the generation prompt; the target is the assistant's answer
up to and including the end-of-turn token, so the model learns to stop. Only target tokens
carry a loss (the prompt's labels are -100).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finetune.errors import FinetuneError
from finetune.examples import Example

IGNORE = -100


@dataclass(frozen=True)
class Encoded:
    input_ids: list[int]
    labels: list[int]
    answer_tokens: int

    def __len__(self) -> int:
        return len(self.input_ids)


class EncodeError(FinetuneError):
    pass


def encode(example: Example, tokenizer: Any) -> Encoded:
    messages = [m.model_dump() for m in example.messages]
    if messages[-1]["role"] != "assistant":
        raise EncodeError("the last message of an example must be the assistant's answer")
    prompt = tokenizer.apply_chat_template(
        messages[:-1], tokenize=False, add_generation_prompt=True
    )
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    if not full.startswith(prompt):
        raise EncodeError("the chat template renders the prompt differently with the answer")
    target = _through_end_of_turn(full[len(prompt) :], messages[-1]["content"], tokenizer)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    target_ids = tokenizer(target, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(messages[-1]["content"], add_special_tokens=False)["input_ids"]
    return Encoded(
        input_ids=[*prompt_ids, *target_ids],
        labels=[IGNORE] * len(prompt_ids) + list(target_ids),
        answer_tokens=len(answer_ids),
    )


def _through_end_of_turn(completion: str, answer: str, tokenizer: Any) -> str:
    """The completion cut after the special token that ends the assistant's turn."""
    at = completion.find(answer)
    if at < 0:
        raise EncodeError("the chat template does not reproduce the answer text")
    rest = completion[at + len(answer) :]
    ends = sorted(tokenizer.all_special_tokens, key=len, reverse=True)
    end = next((t for t in ends if t and rest.startswith(t)), "")
    return completion[: at + len(answer) + len(end)]


@dataclass
class Encoding:
    """A dataset's encoded examples and what was left out."""

    items: list[tuple[Example, Encoded]]
    too_long: int = 0
    answer_over_limit: int = 0


def encode_all(examples: list[Example], tokenizer: Any, max_length: int) -> Encoding:
    out = Encoding(items=[])
    for example in examples:
        encoded = encode(example, tokenizer)
        if len(encoded) > max_length:
            out.too_long += 1
        elif encoded.answer_tokens > example.max_tokens:
            out.answer_over_limit += 1  # the pipeline would cut this answer short
        else:
            out.items.append((example, encoded))
    return out
