"""One exception type for every problem a user can fix by changing an input file or the config."""


class InputError(ValueError):
    """Bad input or config. ``str(err)`` is one line: what file or key, what is wrong, how to fix it."""

    def __init__(self, where: str, problem: str, fix: str | None = None):
        self.where = str(where)
        self.problem = problem
        self.fix = fix
        msg = f"{self.where}: {problem}"
        if fix:
            msg += f" (fix: {fix})"
        super().__init__(msg)
