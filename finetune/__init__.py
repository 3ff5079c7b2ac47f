"""Past incidents to training data, LoRA fine-tuning and export to the local runtimes.

- `dataset`, `teacher`, `gold`, `labels`, `incidents`, `redact`, `build`: chat-format examples
  per role (triage, root cause, quarantined reader) from scenario replays and from incidents
  a human confirmed; secrets redacted, duplicates dropped, split by scenario.
- `base`, `encode`, `backends`, `train`, `checkpoints`: a LoRA with unsloth on CUDA or
  transformers + peft on the CPU, resumable.
- `export`, `modelfile`, `registry`: the LoRA merged into its base GGUF, an Ollama Modelfile,
  and the list `graph models` shows.
- `evaluate`: base against tuned on the pipeline's own prompts.

`graph finetune dataset|train|export|eval` (cli/finetune.py); docs/finetune.md.
"""
