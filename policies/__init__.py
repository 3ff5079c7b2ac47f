"""The security gate, whole: every mutation the pipeline proposes passes through here.

- `guard.PolicyGuard`: the one entry point (`review`, `links`, `record_approval`); the
  guardian and notify nodes are thin callers.
- `gate`: the decision for one action (inventory, policy, the quarantined and privileged
  models, which may only make it stricter; any exception blocks).
- `inventory`: the trusted facts and the checks an action's targets must pass.
- `engine`: policy files (`default.yaml`), validated at start-up; rules and rate limits.
- `views`: what each part sees (the reader's untrusted text, the judge's trusted view).
- `markers`: known phrasings of planted instructions.
- `audit`: the store of every decision and approval (`graph audit`).
- `prompts/`: the two models' prompt templates.
"""
