//! Min-cost flow by successive shortest paths (Dijkstra on reduced costs), stopping as soon as
//! the cheapest augmenting path no longer lowers the cost: that gives the cheapest flow of any
//! size, which is what the plan wants (it covers a slot only when doing so is worth it).
//!
//! Deterministic: integer costs, and ties in Dijkstra broken by node index with adjacency in
//! insertion order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Debug, Clone)]
struct Edge {
    to: usize,
    cap: i64,
    cost: i64,
}

/// A flow network whose edges all go from a lower to a higher node index (a DAG), so the
/// first potentials come from one pass in index order even with negative costs.
#[derive(Debug, Clone)]
pub struct Graph {
    edges: Vec<Edge>,
    adj: Vec<Vec<usize>>,
}

const INF: i64 = i64::MAX / 4;

impl Graph {
    pub fn new(nodes: usize) -> Self {
        Self { edges: Vec::new(), adj: vec![Vec::new(); nodes] }
    }

    /// Adds an edge `from → to` (with `from < to`) and returns its id.
    pub fn add_edge(&mut self, from: usize, to: usize, cap: i64, cost: i64) -> usize {
        debug_assert!(from < to, "edges go forward");
        let id = self.edges.len();
        self.edges.push(Edge { to, cap, cost });
        self.edges.push(Edge { to: from, cap: 0, cost: -cost });
        self.adj[from].push(id);
        self.adj[to].push(id + 1);
        id
    }

    /// Flow on an edge (what its reverse holds).
    pub fn flow(&self, edge: usize) -> i64 {
        self.edges[edge ^ 1].cap
    }

    /// Sends flow from `s` to `t` while a path of negative cost exists. Returns (flow, cost).
    pub fn min_cost_flow(&mut self, s: usize, t: usize) -> (i64, i64) {
        let n = self.adj.len();
        // Potentials: shortest distances in the DAG, by one pass in index order.
        let mut pot = vec![INF; n];
        pot[s] = 0;
        for u in 0..n {
            if pot[u] == INF {
                continue;
            }
            for &e in &self.adj[u] {
                let edge = &self.edges[e];
                if edge.cap > 0 && edge.to > u {
                    pot[edge.to] = pot[edge.to].min(pot[u] + edge.cost);
                }
            }
        }
        for p in &mut pot {
            if *p == INF {
                *p = 0;
            }
        }
        let (mut flow, mut cost) = (0i64, 0i64);
        let mut dist = vec![INF; n];
        let mut via = vec![usize::MAX; n];
        let mut heap = BinaryHeap::new();
        loop {
            dist.fill(INF);
            via.fill(usize::MAX);
            heap.clear();
            dist[s] = 0;
            heap.push(Reverse((0i64, s)));
            while let Some(Reverse((d, u))) = heap.pop() {
                if d > dist[u] {
                    continue;
                }
                // Settled the sink: the path is known. Nodes not settled yet are at least this
                // far, and the potential update below caps them at `dist[t]`, which keeps every
                // reduced cost non-negative.
                if u == t {
                    break;
                }
                for &e in &self.adj[u] {
                    let edge = &self.edges[e];
                    if edge.cap <= 0 {
                        continue;
                    }
                    let nd = d + edge.cost + pot[u] - pot[edge.to];
                    if nd < dist[edge.to] {
                        dist[edge.to] = nd;
                        via[edge.to] = e;
                        heap.push(Reverse((nd, edge.to)));
                    }
                }
            }
            if dist[t] == INF {
                break;
            }
            let path_cost = dist[t] + pot[t] - pot[s];
            if path_cost >= 0 {
                break;
            }
            // Bottleneck along the path.
            let mut push = INF;
            let mut v = t;
            while v != s {
                let e = via[v];
                push = push.min(self.edges[e].cap);
                v = self.edges[e ^ 1].to;
            }
            let mut v = t;
            while v != s {
                let e = via[v];
                self.edges[e].cap -= push;
                self.edges[e ^ 1].cap += push;
                v = self.edges[e ^ 1].to;
            }
            flow += push;
            cost += push * path_cost;
            let dt = dist[t];
            for (p, d) in pot.iter_mut().zip(&dist) {
                *p += (*d).min(dt);
            }
        }
        (flow, cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over all assignments of 3 members to 3 one-place tasks (each member at most
    /// one task), any size: the flow's cost must be the minimum.
    #[test]
    fn matches_brute_force_on_small_assignments() {
        let mut rng = weft_core::rng::Rng::new(7);
        for _ in 0..300 {
            let cost: Vec<Vec<i64>> = (0..3).map(|_| (0..3).map(|_| rng.range_i64(-50, 30)).collect()).collect();
            let mut g = Graph::new(8);
            for (m, row) in cost.iter().enumerate() {
                g.add_edge(0, 1 + m, 1, 0);
                for (t, c) in row.iter().enumerate() {
                    g.add_edge(1 + m, 4 + t, 1, *c);
                }
            }
            for t in 0..3 {
                g.add_edge(4 + t, 7, 1, 0);
            }
            let (_, got) = g.min_cost_flow(0, 7);
            // Each member picks a task or nothing (3), tasks distinct.
            let mut best = 0i64;
            for a in 0..4 {
                for b in 0..4 {
                    for c in 0..4 {
                        let picks = [a, b, c];
                        let used: Vec<usize> = picks.iter().copied().filter(|p| *p < 3).collect();
                        let mut dedup = used.clone();
                        dedup.sort_unstable();
                        dedup.dedup();
                        if dedup.len() != used.len() {
                            continue;
                        }
                        let total: i64 =
                            picks.iter().enumerate().filter(|(_, p)| **p < 3).map(|(m, p)| cost[m][*p]).sum();
                        best = best.min(total);
                    }
                }
            }
            assert_eq!(got, best, "costs {cost:?}");
        }
    }
}
