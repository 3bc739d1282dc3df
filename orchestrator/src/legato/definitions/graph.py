"""Graph checks on a definition's steps: unknown or repeated dependencies, cycles, ancestors."""

from collections.abc import Sequence

from legato.definitions.errors import DefinitionError


def check_dependencies(ids: Sequence[str], deps: Sequence[Sequence[str]]) -> None:
    """`ids[i]` depends on `deps[i]`; raise on an unknown or repeated dependency, or a cycle."""
    position = {step_id: i for i, step_id in enumerate(ids)}
    for i, ds in enumerate(deps):
        seen: set[str] = set()
        for j, d in enumerate(ds):
            if d not in position:
                raise DefinitionError(("steps", i, "dependsOn", j), f"unknown step {d!r}")
            if d in seen:
                raise DefinitionError(("steps", i, "dependsOn", j), f"step {d!r} is listed twice")
            seen.add(d)
    cycle = find_cycle(ids, deps)
    if cycle:
        closing = position[cycle[-1]]
        raise DefinitionError(("steps", closing, "dependsOn"), "cycle: " + " -> ".join(cycle))


def find_cycle(ids: Sequence[str], deps: Sequence[Sequence[str]]) -> list[str]:
    """A cycle as a path in execution order (`a -> b` means b depends on a), first id repeated last."""
    dependants: dict[str, list[str]] = {i: [] for i in ids}
    for step_id, ds in zip(ids, deps, strict=True):
        for d in ds:
            dependants[d].append(step_id)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for start in ids:
        if start in state:
            continue
        path = [start]
        state[start] = 1
        stack = [iter(dependants[start])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                state[path.pop()] = 2
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(dependants[nxt]))
    return []


def topological(ids: Sequence[str], deps: Sequence[Sequence[str]]) -> list[str]:
    """The ids with every step after its dependencies (the graph is known to be acyclic)."""
    waiting = {step_id: len(ds) for step_id, ds in zip(ids, deps, strict=True)}
    dependants: dict[str, list[str]] = {i: [] for i in ids}
    for step_id, ds in zip(ids, deps, strict=True):
        for d in ds:
            dependants[d].append(step_id)
    ready = [i for i in ids if not waiting[i]]
    order: list[str] = []
    while ready:
        step_id = ready.pop()
        order.append(step_id)
        for nxt in dependants[step_id]:
            waiting[nxt] -= 1
            if not waiting[nxt]:
                ready.append(nxt)
    return order


def ancestors(ids: Sequence[str], deps: Sequence[Sequence[str]]) -> dict[str, frozenset[str]]:
    """Every step's transitive dependencies (the graph is known to be acyclic)."""
    direct = dict(zip(ids, deps, strict=True))
    out: dict[str, frozenset[str]] = {}
    for step_id in topological(ids, deps):
        acc: set[str] = set(direct[step_id])
        for d in direct[step_id]:
            acc |= out[d]
        out[step_id] = frozenset(acc)
    return out
