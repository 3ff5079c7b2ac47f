"""Security guardian: every proposed mutation passes the policy; approvals via `interrupt()`."""
