"""The sections, in the order they run. Each is a module with a TITLE and
`run(env: Environment) -> Outcome`; add one here to plug it in."""

from types import ModuleType

from reliability.sections import access, backup, concurrency, faults, files, input, scale_out

SECTIONS: dict[str, ModuleType] = {
    "faults": faults,
    "concurrency": concurrency,
    "scale_out": scale_out,
    "backup": backup,
    "access": access,
    "input": input,
    "files": files,
}
