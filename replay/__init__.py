"""Replays and their grading: a scenario's world on loopback driven through the real graph
(`run`), the checks of its `expect` block (`checks`), the result object and the report
(`result`, `report`), and LangGraph Studio's graph (`studio`). Only replays, evaluation,
fine-tuning data and tests use this package and `world`; the product never imports them."""
