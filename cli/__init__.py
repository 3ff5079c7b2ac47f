"""The `graph` command line: `main` parses, one module per sub-command (`add_arguments`,
`run`), `errors` holds the exit codes and the error the CLI prints."""
