import type { HeapGraph } from './snapshot-parse.js';

/**
 * Retained sizes from the dominator tree, computed exactly with the iterative algorithm of
 * Cooper, Harvey and Kennedy ("A Simple, Fast Dominance Algorithm", 2001) over the nodes in
 * DFS postorder. The graph is the one Chrome DevTools uses: from the root (node 0), without
 * weak edges, and with shortcut edges followed only from the root (HeapSnapshot.ts
 * isEssentialEdge). A node's retained size = its self size + the retained sizes of the nodes
 * it immediately dominates. Nodes not reachable that way keep retained = self and no dominator.
 */
export interface Dominators {
  /** Immediate dominator's node ordinal; the root's is itself; unreachable: 0xffffffff. */
  idom: Uint32Array;
  retained: Float64Array;
  /** Nodes reachable from the root. */
  reachable: number;
}

const NONE = 0xffffffff;

export function computeDominators(g: HeapGraph): Dominators {
  const n = g.nodeCount;
  const weak = g.edgeTypes.indexOf('weak');
  const shortcut = g.edgeTypes.indexOf('shortcut');
  const essential = (from: number, e: number): boolean => {
    const t = g.edgeType[e]!;
    return t !== weak && (t !== shortcut || from === 0);
  };

  // 1. Postorder by an iterative DFS from the root.
  const post = new Uint32Array(n).fill(NONE); // node → postorder number
  const order = new Uint32Array(n); // postorder number → node
  const stackNode = new Uint32Array(n);
  const stackEdge = new Uint32Array(n);
  const visited = new Uint8Array(n);
  let sp = 0;
  let count = 0;
  if (n > 0) {
    stackNode[0] = 0;
    stackEdge[0] = g.firstEdge[0]!;
    visited[0] = 1;
    sp = 1;
  }
  while (sp > 0) {
    const v = stackNode[sp - 1]!;
    const end = g.firstEdge[v + 1]!;
    let e = stackEdge[sp - 1]!;
    let pushed = false;
    for (; e < end; e++) {
      const w = g.edgeTo[e]!;
      if (visited[w] || !essential(v, e)) continue;
      visited[w] = 1;
      stackEdge[sp - 1] = e + 1;
      stackNode[sp] = w;
      stackEdge[sp] = g.firstEdge[w]!;
      sp++;
      pushed = true;
      break;
    }
    if (!pushed) {
      post[v] = count;
      order[count++] = v;
      sp--;
    }
  }

  // 2. Predecessors (in postorder numbers) of every reachable node, as CSR.
  const predStart = new Uint32Array(count + 1);
  for (let v = 0; v < n; v++) {
    if (post[v] === NONE) continue;
    for (let e = g.firstEdge[v]!; e < g.firstEdge[v + 1]!; e++) if (essential(v, e) && post[g.edgeTo[e]!] !== NONE) predStart[post[g.edgeTo[e]!]! + 1]!++;
  }
  for (let i = 0; i < count; i++) predStart[i + 1]! += predStart[i]!;
  const preds = new Uint32Array(predStart[count]!);
  const fill = predStart.slice(0, count);
  for (let v = 0; v < n; v++) {
    const pv = post[v]!;
    if (pv === NONE) continue;
    for (let e = g.firstEdge[v]!; e < g.firstEdge[v + 1]!; e++) {
      const pw = post[g.edgeTo[e]!]!;
      if (pw !== NONE && essential(v, e)) preds[fill[pw]!++] = pv;
    }
  }

  // 3. Cooper–Harvey–Kennedy, in postorder numbers; the root is count − 1.
  const doms = new Uint32Array(count).fill(NONE);
  const root = count - 1;
  if (count > 0) doms[root] = root;
  for (let changed = true; changed; ) {
    changed = false;
    for (let b = root - 1; b >= 0; b--) {
      let idom = NONE;
      for (let k = predStart[b]!; k < predStart[b + 1]!; k++) {
        const p = preds[k]!;
        if (doms[p] === NONE) continue;
        if (idom === NONE) idom = p;
        else {
          let f1 = p;
          let f2 = idom;
          while (f1 !== f2) {
            while (f1 < f2) f1 = doms[f1]!;
            while (f2 < f1) f2 = doms[f2]!;
          }
          idom = f1;
        }
      }
      if (doms[b] !== idom) {
        doms[b] = idom;
        changed = true;
      }
    }
  }

  // 4. Retained sizes: a dominator finishes after what it dominates, so one pass in postorder.
  const retained = Float64Array.from(g.nodeSelf);
  const idom = new Uint32Array(n).fill(NONE);
  for (let b = 0; b < count; b++) {
    const v = order[b]!;
    idom[v] = order[doms[b]!]!;
    if (b !== root) retained[idom[v]!]! += retained[v]!;
  }
  return { idom, retained, reachable: count };
}
