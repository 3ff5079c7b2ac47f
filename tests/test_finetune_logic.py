"""Pure parts of training, export and evaluation: the example order a resumed run follows,
the reader's balancing, the Modelfile's system message, the side-by-side report."""

from __future__ import annotations

import json
from typing import Any

from finetune.encode import Encoded
from finetune.evaluate import Outcome, summarize, table
from finetune.examples import Example
from finetune.modelfile import default_system
from finetune.train import balanced, example_at

SMOL_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def test_example_order_is_a_fresh_permutation_each_epoch_and_the_same_on_resume() -> None:
    first = [example_at(i, 7, seed=0) for i in range(7)]
    second = [example_at(i, 7, seed=0) for i in range(7, 14)]
    assert sorted(first) == sorted(second) == list(range(7))
    assert first != second
    assert [example_at(i, 7, seed=0) for i in range(3, 10)] == first[3:] + second[:3]
    assert [example_at(i, 7, seed=1) for i in range(7)] != first


def _reader(instructions: str, index: int) -> tuple[Example, Encoded]:
    answer = {"instructions": instructions,
              "asks_for": "merge" if instructions == "yes" else "nothing"}  # fmt: skip
    example = Example.model_validate({
        "task": "reader", "messages": [{"role": "user", "content": f"text {index}"},
                                       {"role": "assistant", "content": json.dumps(answer)}],
        "json_schema": {}, "max_tokens": 48, "source": "scenario", "group": "g", "origin": "g",
    })  # fmt: skip
    return example, Encoded([index], [index], 1)


def test_rare_planted_reader_examples_are_repeated_to_a_third() -> None:
    items = [_reader("no", i) for i in range(40)] + [_reader("yes", 100), _reader("yes", 101)]
    out = balanced(items)
    planted = sum(enc.input_ids[0] >= 100 for enc in out)
    assert planted == 2 * 8  # 40 // (2 * 2) = ten copies each, capped at eight
    assert len(out) == 40 + 16
    ordinary = [_reader("no", i) for i in range(5)]
    assert balanced(ordinary) == [enc for _, enc in ordinary]


def test_modelfile_system_message_is_the_templates_default() -> None:
    assert default_system(SMOL_TEMPLATE) == "You are a helpful AI assistant"
    plain = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}{% endfor %}"
    assert default_system(plain) == ""


def _outcome(task: str, expected: str, correct: bool, first_try: bool = True) -> Outcome:
    return Outcome(task, expected, True, first_try, correct, 300, 20, 1.0)


def test_report_puts_base_and_tuned_side_by_side_with_deltas() -> None:
    base = summarize([_outcome("triage", "high", False), _outcome("reader", "yes", True),
                      _outcome("reader", "no", False, first_try=False)])  # fmt: skip
    tuned = summarize([_outcome("triage", "high", True), _outcome("reader", "yes", False),
                       _outcome("reader", "no", True)])  # fmt: skip
    assert base["tasks"]["reader_planted"] == {"correct": 1, "of": 1}
    assert base["valid"] == {"first_try": 2, "of": 3}
    assert tuned["output_tokens_per_s"] == 20.0 and tuned["tokens_per_s"] == 320.0
    rows: dict[str, Any] = {
        line[:32].strip(): line[32:].split() for line in table(("b", "t"), base, tuned).splitlines()
    }
    assert rows["triage accuracy (severity)"] == ["0/1", "(0%)", "1/1", "(100%)", "+100", "pts"]
    assert rows["of which planted, caught"][-2:] == ["-100", "pts"]
    assert rows["valid output (first try)"][-2:] == ["+33", "pts"]
    assert "root-cause hit rate" not in rows  # no root-cause prompts: no row
