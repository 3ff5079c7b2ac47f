"""The web console at `/ui`: incidents, their timelines, evidence and actions, Approve /
Deny for those the roles allow, live updates, tokens and cost. Server-rendered HTML
(Jinja2, autoescaped) with a little JavaScript; sessions from a login with the service
token or a person's own token; forms carry a CSRF token. docs/console.md."""
