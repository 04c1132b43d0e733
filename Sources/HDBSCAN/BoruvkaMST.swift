import LossLensCore

/// Borůvka's algorithm on a k-d tree for the Euclidean mutual-reachability distance
/// `max(core(a), core(b), d(a, b) / alpha)` (Campello et al. 2013, Def. 3): each round every
/// component takes its lightest outgoing edge, found by one pruned tree search per point.
///
/// Edges are compared by (weight, smaller end, larger end), a strict total order, so the tree is
/// exact, unique for that order and independent of the thread count. Its edges are then listed in
/// the order Prim's algorithm grown from point 0 would take them along the tree (ties to the lowest
/// index), the orientation the references use.
public enum BoruvkaMST {
  /// The minimum spanning tree of the points in `tree` with core distances `core` (by original index).
  ///
  /// - Complexity: O(n log² n) expected in low dimension; O(n) memory.
  public static func spanningTree(
    _ tree: KDTree, core: UnsafePointer<Double>, alpha: Double, threads: Int
  ) throws(LossLensError) -> SpanningTree {
    let n = tree.count, nodes = tree.nodeCount
    var components = UnionFind(count: n)
    // Core distances in tree order, and the smallest core distance under each node.
    let coreAt = UnsafeMutablePointer<Double>.allocate(capacity: n)
    let nodeMinCore = UnsafeMutablePointer<Double>.allocate(capacity: nodes)
    let nodeComponent = UnsafeMutablePointer<Int>.allocate(capacity: nodes)
    let componentAt = UnsafeMutablePointer<Int>.allocate(capacity: n)
    let bestWeight = UnsafeMutablePointer<Double>.allocate(capacity: n)
    let bestTo = UnsafeMutablePointer<Int>.allocate(capacity: n)
    // Weight of some edge leaving each component (by root), shared by the searches of its points to
    // prune: any such weight bounds the component's lightest edge from above. Threads may race on
    // it; a lost update only weakens pruning, since every stored value is a real edge's weight.
    let componentBound = UnsafeMutablePointer<Double>.allocate(capacity: n)
    defer {
      componentBound.deallocate()
      coreAt.deallocate(); nodeMinCore.deallocate(); nodeComponent.deallocate()
      componentAt.deallocate(); bestWeight.deallocate(); bestTo.deallocate()
    }
    for t in 0..<n { coreAt[t] = core[tree.index[t]] }
    for node in stride(from: nodes - 1, through: 0, by: -1) {
      let l = tree.left[node]
      if l < 0 {
        var m = Double.infinity
        for t in tree.start[node]..<tree.end[node] { m = Swift.min(m, coreAt[t]) }
        nodeMinCore[node] = m
      } else {
        nodeMinCore[node] = Swift.min(nodeMinCore[l], nodeMinCore[tree.right[node]])
      }
    }
    var edges: [(Int, Int, Double)] = []   // original indices
    edges.reserveCapacity(n - 1)
    while edges.count < n - 1 {
      try Cancellation.check()
      for t in 0..<n {
        componentAt[t] = components.find(tree.index[t])
        componentBound[componentAt[t]] = .infinity
      }
      // A node is "uniform" when all its points lie in one component: a search from that component skips it.
      for node in stride(from: nodes - 1, through: 0, by: -1) {
        let l = tree.left[node]
        if l < 0 {
          let c = componentAt[tree.start[node]]
          var uniform = true
          for t in tree.start[node]..<tree.end[node] where componentAt[t] != c { uniform = false; break }
          nodeComponent[node] = uniform ? c : -1
        } else {
          let a = nodeComponent[l], b = nodeComponent[tree.right[node]]
          nodeComponent[node] = a == b ? a : -1
        }
      }
      // Lightest outgoing edge of every point (tree positions), searched in parallel.
      parallelFor(n, grain: 256, threads: threads) { range in
        var stack: [Int] = []
        for position in range {
          let c = componentAt[position], ci = coreAt[position]
          let q = tree.points + position * tree.dim
          // Every edge from this point weighs at least its core distance.
          var bw = componentBound[c], bj = -1
          if ci > bw {
            bestTo[position] = -1
            continue
          }
          let self_ = tree.index[position]
          stack.removeAll(keepingCapacity: true)
          stack.append(0)
          while let node = stack.popLast() {
            if nodeComponent[node] == c { continue }
            let bound = Swift.max(ci, nodeMinCore[node], tree.boxDistanceSquared(node, q).squareRoot() / alpha)
            if bound > bw { continue }
            let l = tree.left[node]
            if l < 0 {
              for t in tree.start[node]..<tree.end[node] where componentAt[t] != c {
                let d = tree.distanceSquared(t, q).squareRoot()
                let w = Swift.max(ci, coreAt[t], alpha == 1 ? d : d / alpha)
                if w < bw || (w == bw && EdgeOrder.less(self_, tree.index[t], than: self_, bj)) {
                  bw = w
                  bj = tree.index[t]
                }
              }
            } else {
              let r = tree.right[node]
              if tree.boxDistanceSquared(l, q) <= tree.boxDistanceSquared(r, q) {
                stack.append(r); stack.append(l)
              } else {
                stack.append(l); stack.append(r)
              }
            }
          }
          bestWeight[position] = bw
          bestTo[position] = bj
          if bj >= 0 && bw < componentBound[c] { componentBound[c] = bw }
        }
      }
      // Lightest edge per component, by (weight, smaller end, larger end).
      var chosen = [Int: (Int, Int, Double)]()
      for position in 0..<n where bestTo[position] >= 0 {
        let c = componentAt[position], a = tree.index[position], b = bestTo[position], w = bestWeight[position]
        if let (ca, cb, cw) = chosen[c], !(w < cw || (w == cw && EdgeOrder.less(a, b, than: ca, cb))) { continue }
        chosen[c] = (a, b, w)
      }
      guard !chosen.isEmpty else { throw LossLensError(.numericalFailure, "Borůvka: no outgoing edge found") }
      for (a, b, w) in chosen.values.sorted(by: { EdgeOrder.less($0, $1) }) where components.union(a, b) {
        edges.append((a, b, w))
      }
    }
    return PrimOrder.order(edges, pointCount: n)
  }
}

/// The strict total order on edges that makes Borůvka's choices consistent.
enum EdgeOrder {
  /// `(a, b)` before `(c, d)` by (smaller end, larger end); a missing edge (`d < 0`) is last.
  @inline(__always) static func less(_ a: Int, _ b: Int, than c: Int, _ d: Int) -> Bool {
    if d < 0 { return true }
    let x = (Swift.min(a, b), Swift.max(a, b)), y = (Swift.min(c, d), Swift.max(c, d))
    return x < y
  }

  /// Weighted edges by (weight, smaller end, larger end).
  static func less(_ e: (Int, Int, Double), _ f: (Int, Int, Double)) -> Bool {
    e.2 < f.2 || (e.2 == f.2 && less(e.0, e.1, than: f.0, f.1))
  }
}
