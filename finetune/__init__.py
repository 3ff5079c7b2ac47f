"""Past incidents to training data, LoRA fine-tuning and export to the local runtimes."""
