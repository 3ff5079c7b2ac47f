"""Exit codes and the one error type the CLI turns into a message and a status."""

from __future__ import annotations

from runtime.settings import Settings
from world.loader import LoadedScenario, ScenarioError, load

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ERROR = 2


class CliError(Exception):
    """Printed as `graph CMD: message` on stderr; the process exits with `code`."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def load_scenario(settings: Settings, name_or_path: str) -> LoadedScenario:
    try:
        return load(name_or_path, settings.scenarios_dir)
    except (ScenarioError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from exc
