"""The code graph and the few graph algorithms the project detectors need.

Nodes are dotted names (modules, classes, functions, methods); edges are kept per kind as plain
``dict[str, set[str]]`` adjacency. On Django (885 modules, ~30k definitions) that is small enough
that dictionaries beat any graph library once conversion costs are counted, and every algorithm
here is iterative so deep graphs never hit the recursion limit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

IMPORTS = "IMPORTS"
CALLS = "CALLS"
INHERITS = "INHERITS"
CONTAINS = "CONTAINS"
EDGE_KINDS = (IMPORTS, CALLS, INHERITS, CONTAINS)

Adjacency = Mapping[str, Collection[str]]


@dataclass
class CodeGraph:
    """Typed nodes (``module``, ``class``, ``function``, ``method``) and typed directed edges."""

    nodes: dict[str, str] = field(default_factory=dict)  # name -> kind
    edges: dict[str, dict[str, set[str]]] = field(default_factory=lambda: {k: {} for k in EDGE_KINDS})
    _reverse: dict[str, dict[str, set[str]]] = field(default_factory=dict, repr=False)

    def add_node(self, name: str, kind: str) -> None:
        self.nodes.setdefault(name, kind)

    def add_edge(self, kind: str, src: str, dst: str) -> None:
        if src == dst and kind != CALLS:
            return
        self.edges[kind].setdefault(src, set()).add(dst)
        self._reverse.pop(kind, None)

    def successors(self, kind: str, node: str) -> set[str]:
        return self.edges[kind].get(node, set())

    def predecessors(self, kind: str, node: str) -> set[str]:
        rev = self._reverse.get(kind)
        if rev is None:
            rev = reverse(self.edges[kind])
            self._reverse[kind] = rev
        return rev.get(node, set())

    def edge_count(self, kind: str | None = None) -> int:
        kinds = (kind,) if kind else EDGE_KINDS
        return sum(len(dsts) for k in kinds for dsts in self.edges[k].values())

    def kind_count(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for kind in self.nodes.values():
            counts[kind] = counts.get(kind, 0) + 1
        return counts


def reverse(adj: Adjacency) -> dict[str, set[str]]:
    rev: dict[str, set[str]] = {}
    for src, dsts in adj.items():
        for dst in dsts:
            rev.setdefault(dst, set()).add(src)
    return rev


def _all_nodes(adj: Adjacency, nodes: Iterable[str] | None = None) -> list[str]:
    seen = set(adj)
    for dsts in adj.values():
        seen.update(dsts)
    if nodes is not None:
        seen.update(nodes)
    return sorted(seen)


def strongly_connected_components(adj: Adjacency, nodes: Iterable[str] | None = None) -> list[list[str]]:
    """Tarjan's algorithm, iterative. Components come out in reverse topological order; each
    component's members are sorted so the output does not depend on set iteration order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    empty: tuple[str, ...] = ()
    for root in _all_nodes(adj, nodes):
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(adj.get(root, empty))))]
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(adj.get(child, empty)))))
                    advanced = True
                    break
                if child in on_stack and index[child] < low[node]:
                    low[node] = index[child]
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(sorted(component))
    return result


def shortest_path(adj: Adjacency, src: str, dst: str, allowed: Collection[str] | None = None) -> list[str] | None:
    """Shortest path src -> dst (both included) by BFS, visiting only ``allowed`` nodes.
    With src == dst it is the shortest cycle through src (src repeated at the end)."""
    parents: dict[str, str] = {}
    queue = deque([src])
    seen = {src}
    while queue:
        node = queue.popleft()
        for nxt in sorted(adj.get(node, ())):
            if allowed is not None and nxt not in allowed:
                continue
            if nxt == dst:
                path = [dst, node]
                while path[-1] != src:
                    path.append(parents[path[-1]])
                return path[::-1]
            if nxt not in seen:
                seen.add(nxt)
                parents[nxt] = node
                queue.append(nxt)
    return None


def cycle_order(component: Collection[str], adj: Adjacency) -> list[str]:
    """The members of a strongly connected component in the order a closed walk from its
    smallest member first reaches them (for a simple cycle: the cycle itself).

    The walk always moves to the nearest member not yet listed (through members already
    listed when needed), so for a simple cycle consecutive entries are direct edges."""
    members = set(component)
    start = min(members)
    order = [start]
    listed = {start}
    current = start
    while len(listed) < len(members):
        # BFS from current to the nearest unlisted member, listing the members on the way
        parents: dict[str, str] = {}
        queue = deque([current])
        seen = {current}
        target = None
        while queue and target is None:
            node = queue.popleft()
            for nxt in sorted(adj.get(node, ())):
                if nxt not in members or nxt in seen:
                    continue
                seen.add(nxt)
                parents[nxt] = node
                if nxt not in listed:
                    target = nxt
                    break
                queue.append(nxt)
        if target is None:  # not strongly connected after all: list the rest sorted
            order.extend(sorted(members - listed))
            break
        path = [target]
        while path[-1] != current:
            path.append(parents[path[-1]])
        for node in reversed(path[:-1]):
            if node not in listed:
                listed.add(node)
                order.append(node)
        current = target
    return order


def fan_in_out(adj: Adjacency, nodes: Iterable[str] | None = None) -> tuple[dict[str, int], dict[str, int]]:
    """Distinct predecessors and successors of every node (self loops excluded)."""
    all_nodes = _all_nodes(adj, nodes)
    fan_in = dict.fromkeys(all_nodes, 0)
    fan_out = dict.fromkeys(all_nodes, 0)
    for src, dsts in adj.items():
        for dst in dsts:
            if dst != src:
                fan_in[dst] += 1
                fan_out[src] += 1
    return fan_in, fan_out


def pagerank(
    adj: Adjacency, nodes: Iterable[str] | None = None, damping: float = 0.85, iterations: int = 100, tol: float = 1.0e-9
) -> dict[str, float]:
    """Power-iteration PageRank; dangling nodes spread their rank uniformly. Scores sum to 1.

    On an import graph rank flows towards the modules everything ultimately depends on."""
    all_nodes = _all_nodes(adj, nodes)
    n = len(all_nodes)
    if n == 0:
        return {}
    idx = {name: i for i, name in enumerate(all_nodes)}
    out: list[list[int]] = [[] for _ in range(n)]
    for src, dsts in adj.items():
        out[idx[src]] = [idx[d] for d in dsts if d != src]
    rank = [1.0 / n] * n
    base = (1.0 - damping) / n
    for _ in range(iterations):
        new = [0.0] * n
        dangling = 0.0
        for i, targets in enumerate(out):
            if targets:
                share = damping * rank[i] / len(targets)
                for j in targets:
                    new[j] += share
            else:
                dangling += rank[i]
        spread = base + damping * dangling / n
        new = [v + spread for v in new]
        delta = sum(abs(a - b) for a, b in zip(new, rank, strict=True))
        rank = new
        if delta < tol:
            break
    return {name: rank[i] for name, i in idx.items()}


def reachable(adj: Adjacency, roots: Iterable[str]) -> set[str]:
    """Every node reachable from ``roots`` (roots included)."""
    seen = set(roots)
    stack = list(seen)
    while stack:
        node = stack.pop()
        for nxt in adj.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen
