// Graph order for pipeline nodes: a deterministic topological order and the cycles that prevent one; it never reads anything but ids and edges.

export interface Edge {
  readonly from: string;
  readonly to: string;
}

/**
 * Kahn's algorithm with ties broken by node id (UTF-16 code unit order), so a
 * given graph always gives the same order whatever order it was listed in.
 * Returns the ids left over when the graph has a cycle. Edges naming unknown
 * ids are ignored: validation reports those.
 */
export function topologicalOrder(ids: readonly string[], edges: readonly Edge[]): { order: string[]; blocked: string[] } {
  const known = new Set(ids);
  const indegree = new Map<string, number>();
  const next = new Map<string, string[]>();
  for (const id of known) {
    indegree.set(id, 0);
    next.set(id, []);
  }
  for (const edge of edges) {
    if (!known.has(edge.from) || !known.has(edge.to)) continue;
    next.get(edge.from)!.push(edge.to);
    indegree.set(edge.to, indegree.get(edge.to)! + 1);
  }
  // Graphs are capped at a few hundred nodes, so a sorted array beats a heap in clarity at no real cost.
  const ready = [...known].filter((id) => indegree.get(id) === 0).sort();
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    for (const to of next.get(id)!) {
      const left = indegree.get(to)! - 1;
      indegree.set(to, left);
      if (left === 0) insertSorted(ready, to);
    }
  }
  const placed = new Set(order);
  const blocked = [...known].filter((id) => !placed.has(id)).sort();
  return { order, blocked };
}

function insertSorted(list: string[], id: string): void {
  let i = 0;
  while (i < list.length && list[i]! < id) i++;
  list.splice(i, 0, id);
}

/**
 * One concrete cycle per strongly connected component that has one (Tarjan),
 * each written as a path that starts and ends at the component's smallest id,
 * listed in order of that id. Finding every elementary cycle is exponential;
 * one witness per component names every node that must change.
 */
export function findCycles(ids: readonly string[], edges: readonly Edge[]): string[][] {
  const known = new Set(ids);
  const next = new Map<string, string[]>();
  for (const id of known) next.set(id, []);
  for (const edge of edges) {
    if (known.has(edge.from) && known.has(edge.to)) next.get(edge.from)!.push(edge.to);
  }
  for (const list of next.values()) list.sort();

  const components = stronglyConnected([...known].sort(), next);
  const cycles: string[][] = [];
  for (const component of components) {
    const members = new Set(component);
    const start = [...component].sort()[0]!;
    const selfLoop = next.get(start)!.includes(start);
    if (component.length === 1 && !selfLoop) continue;
    cycles.push(selfLoop && component.length === 1 ? [start, start] : cycleThrough(start, members, next));
  }
  return cycles.sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
}

/** Iterative Tarjan: recursion depth would otherwise follow the node count. */
function stronglyConnected(ids: readonly string[], next: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; child: number }[] = [{ id: root, child: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const children = next.get(frame.id)!;
      if (frame.child < children.length) {
        const to = children[frame.child++]!;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ id: to, child: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        out.push(component);
      }
    }
  }
  return out;
}

/** Shortest path from `start` back to itself inside one component (breadth-first, children in id order). */
function cycleThrough(start: string, members: ReadonlySet<string>, next: ReadonlyMap<string, readonly string[]>): string[] {
  const parent = new Map<string, string>();
  const queue: string[] = [start];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    for (const to of next.get(id)!) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let at: string | undefined = id; at !== undefined && at !== start; at = parent.get(at)) path.push(at);
        path.push(start);
        // Built backwards from the closing edge: reverse all but the fixed endpoints.
        return [start, ...path.slice(1, -1).reverse(), start];
      }
      if (!parent.has(to) && to !== start) {
        parent.set(to, id);
        queue.push(to);
      }
    }
  }
  return [start, start];
}
