import LossLensCore

/// Borůvka's algorithm on a k-d tree for the Euclidean mutual-reachability distance
/// `max(core(a), core(b), d(a, b) / alpha)` (HDBSCAN [mutual reachability]; Campello et al. 2013, Def. 3): each round every
/// component takes its lightest outgoing edge, found by one pruned tree search per point.
///
/// The searches compare edges by (weight, smaller end, larger end), a strict total order, and the
/// first round's choices depend on the neighbour table only, so the tree is exact (Prim's weights)
/// and independent of the thread count. Its edges are then listed in
/// the order Prim's algorithm grown from point 0 would take them along the tree (ties to the lowest
/// index), the orientation the references use.
public enum BoruvkaMST {
  /// The edges `(a, b, weight)` (tree positions) of the minimum spanning tree of the points in
  /// `tree` with core distances `core` (by original index) and their nearest-neighbour table.
  ///
  /// The table settles most of the first round: a point's edges all weigh at least its core
  /// distance, so a table neighbour of no larger core distance within it gives a lightest edge.
  /// Where several edges tie, the one kept may not be the first in edge order (the table holds
  /// only the nearest few points), but every edge kept is a lightest edge leaving its component
  /// and edges closing a cycle are dropped, so the tree is minimal, with Prim's weights. Later
  /// rounds start each search from the lightest table edge leaving the component.
  /// - Complexity: O(n log² n) expected in low dimension; O(n) memory (about 70 bytes per point,
  ///   32-bit point ids).
  public static func edges<S>(
    _ tree: KDTree<S>, neighbours table: NeighbourTable, core: UnsafePointer<Double>, alpha: Double, threads: Int
  ) throws(LossLensError) -> [(Int32, Int32, Double)] {
    let round = BoruvkaRound(tree: tree, table: table, core: core, alpha: alpha)
    defer { round.deallocate() }
    let n = tree.count
    var components = UnionFind(count: n)   // over tree positions
    var edges: [(Int32, Int32, Double)] = []   // tree positions
    edges.reserveCapacity(n - 1)
    round.seed(threads: threads)
    for p in 0..<n where round.bestTo[p] >= 0 {
      let t = Int(round.bestTo[p])
      if components.union(p, t) { edges.append(round.edge(p, t)) }
    }
    // Lightest edge per component (by root) reuses the far-end buffer of the previous round.
    let chosen = round.chosen
    while edges.count < n - 1 {
      try Cancellation.check()
      for p in 0..<n { round.componentAt[p] = Int32(components.find(p)) }
      round.search(threads: threads)
      // Lightest edge per component (by root), by (weight, smaller end, larger end).
      for p in 0..<n { chosen[p] = -1 }
      var found = false
      for p in 0..<n where round.bestTo[p] >= 0 {
        let c = Int(round.componentAt[p]), q = Int(chosen[c])
        if q < 0 || round.lighter(p, than: q) { chosen[c] = Int32(p); found = true }
      }
      guard found else { throw LossLensError(.numericalFailure, "Borůvka: no outgoing edge found") }
      for c in 0..<n where chosen[c] >= 0 {
        let p = Int(chosen[c]), t = Int(round.bestTo[p])
        if components.union(p, t) { edges.append(round.edge(p, t)) }
      }
    }
    return edges
  }
}

/// Buffers of Borůvka's rounds over a k-d tree, shared by the threads that search from disjoint points.
final class BoruvkaRound<S: LossLensReal>: @unchecked Sendable {
  let tree: KDTree<S>, table: NeighbourTable, alpha: Double
  /// Core distances in tree order, and the smallest core distance under each node.
  let coreAt: UnsafeMutablePointer<Double>, nodeMinCore: UnsafeMutablePointer<Double>
  /// Component (root position) of each point, and of each node whose points share one (else −1).
  let componentAt: UnsafeMutablePointer<Int32>, nodeComponent: UnsafeMutablePointer<Int>
  /// Lightest edge found from each point: weight and far end (tree position, −1: none).
  let bestWeight: UnsafeMutablePointer<Double>, bestTo: UnsafeMutablePointer<Int32>
  /// Weight of some edge leaving each component (by root), shared by the searches of its points to
  /// prune: any such weight bounds the component's lightest edge from above. Threads may race on
  /// it; a lost update only weakens pruning, since every stored value is a real edge's weight.
  let componentBound: UnsafeMutablePointer<Double>
  /// The point holding each component's lightest edge (by root), between rounds.
  let chosen: UnsafeMutablePointer<Int32>
  /// Nodes of up to `searchBlock` points (or leaves) partitioning the tree: the searches' units.
  let blocks: [Int]
  /// Most points searching together when they share a component.
  static var searchBlock: Int { 48 }

  init(tree: KDTree<S>, table: NeighbourTable, core: UnsafePointer<Double>, alpha: Double) {
    self.tree = tree
    self.table = table
    self.alpha = alpha
    let n = tree.count, nodes = tree.nodeCount
    coreAt = .allocate(capacity: n); nodeMinCore = .allocate(capacity: nodes)
    componentAt = .allocate(capacity: n); nodeComponent = .allocate(capacity: nodes)
    bestWeight = .allocate(capacity: n); bestTo = .allocate(capacity: n)
    componentBound = .allocate(capacity: n); chosen = .allocate(capacity: n)
    blocks = tree.blockNodes(maxSize: BoruvkaRound.searchBlock)
    for t in 0..<n { coreAt[t] = core[Int(tree.index[t])] }
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
  }

  func deallocate() {
    coreAt.deallocate(); nodeMinCore.deallocate(); componentAt.deallocate(); nodeComponent.deallocate()
    bestWeight.deallocate(); bestTo.deallocate(); componentBound.deallocate(); chosen.deallocate()
  }

  /// Mutual-reachability weight of an edge between points of core distances `a`, `b` at squared distance `d2`.
  @inline(__always) func weight(_ a: Double, _ b: Double, _ d2: Double) -> Double {
    let d = d2.squareRoot()
    return Swift.max(a, b, alpha == 1 ? d : d / alpha)
  }

  /// The original index of tree position `t`.
  @inline(__always) func original(_ t: Int) -> Int { Int(tree.index[t]) }

  /// `true` when the edge from `p` to `t` of weight `w` precedes the edge from `p` to `j` of weight `bw`.
  @inline(__always) func precedes(_ w: Double, _ p: Int, _ t: Int, _ bw: Double, _ j: Int) -> Bool {
    w < bw || (w == bw && EdgeOrder.less(original(p), original(t), than: original(p), j < 0 ? -1 : original(j)))
  }

  /// `true` when the best edge found from `p` precedes the one from `q`.
  func lighter(_ p: Int, than q: Int) -> Bool {
    let a = (original(p), original(Int(bestTo[p])), bestWeight[p])
    let b = (original(q), original(Int(bestTo[q])), bestWeight[q])
    return EdgeOrder.less(a, b)
  }

  /// The best edge found from `p`, to `t`, by tree positions (n < 2³¹).
  func edge(_ p: Int, _ t: Int) -> (Int32, Int32, Double) {
    (Int32(truncatingIfNeeded: p), Int32(truncatingIfNeeded: t), bestWeight[p])
  }

  /// First round from the table alone: `bestTo[p]` is the first table neighbour (in edge order) of
  /// no larger core distance within the core distance of `p` (an edge of weight exactly that, the
  /// lightest possible), else −1.
  func seed(threads: Int) {
    let width = table.width
    parallelFor(tree.count, grain: 1024, threads: threads) { range in
      for p in range {
        let ci = coreAt[p], row = table.position + p * width, q = tree.point(p)
        var bj = -1
        for e in 0..<width {
          let t = Int(row[e])
          guard t >= 0, coreAt[t] <= ci else { continue }
          if weight(ci, coreAt[t], tree.distanceSquared(t, q)) <= ci && precedes(ci, p, t, ci, bj) { bj = t }
        }
        bestTo[p] = Int32(truncatingIfNeeded: bj)
        bestWeight[p] = ci
      }
    }
  }

  /// Lightest outgoing edge of every point, given `componentAt`.
  func search(threads: Int) {
    let n = tree.count, nodes = tree.nodeCount, width = table.width
    // A node is "uniform" when all its points lie in one component: a search from that component skips it.
    for node in stride(from: nodes - 1, through: 0, by: -1) {
      let l = tree.left[node]
      if l < 0 {
        let c = Int(componentAt[tree.start[node]])
        var uniform = true
        for t in tree.start[node]..<tree.end[node] where Int(componentAt[t]) != c { uniform = false; break }
        nodeComponent[node] = uniform ? c : -1
      } else {
        let a = nodeComponent[l], b = nodeComponent[tree.right[node]]
        nodeComponent[node] = a == b ? a : -1
      }
    }
    // Start from the lightest table edge leaving the component.
    for p in 0..<n { componentBound[p] = .infinity }
    parallelFor(n, grain: 1024, threads: threads) { range in
      for p in range {
        let c = componentAt[p], ci = coreAt[p], row = table.position + p * width, q = tree.point(p)
        var bw = Double.infinity, bj = -1
        for e in 0..<width {
          let t = Int(row[e])
          guard t >= 0, componentAt[t] != c else { continue }
          let w = weight(ci, coreAt[t], tree.distanceSquared(t, q))
          if precedes(w, p, t, bw, bj) { bw = w; bj = t }
        }
        bestWeight[p] = bw
        bestTo[p] = Int32(truncatingIfNeeded: bj)
      }
    }
    for p in 0..<n where bestWeight[p] < componentBound[Int(componentAt[p])] {
      componentBound[Int(componentAt[p])] = bestWeight[p]
    }
    // A block whose points share a component searches once for all of them; in other blocks each
    // such leaf does, and the points of mixed leaves one by one.
    parallelFor(blocks.count, grain: 8, threads: threads) { range in
      var stack: [(Int, Double)] = [], within: [Int] = []
      stack.reserveCapacity(128)
      let buffers = BlockSearchBuffers(tree)
      for i in range {
        within.removeAll(keepingCapacity: true)
        within.append(blocks[i])
        while let node = within.popLast() {
          let c = nodeComponent[node]
          if c >= 0 {
            searchFrom(block: node, component: c, stack: &stack, buffers: buffers)
          } else if tree.left[node] >= 0 {
            within.append(tree.right[node])
            within.append(tree.left[node])
          } else {
            for p in tree.start[node]..<tree.end[node] {
              searchFrom(point: p, stack: &stack, buffers: buffers)
            }
          }
        }
      }
    }
  }

  /// Squared distance beyond which an edge weighs more than `limit` (with a rounding margin).
  @inline(__always) private func reach(_ limit: Double) -> Double {
    let r = alpha == 1 ? limit : limit * alpha
    return r * r * (1 + 1e-12) + 1e-300
  }

  /// A lower bound on the distance term of an edge across a box gap of squared key distance `gap2`.
  @inline(__always) private func scaledLowerBound(_ gap2: Double) -> Double {
    alpha == 1 ? tree.lowerBound(boxSquared: gap2) : tree.lowerBound(boxSquared: gap2) / alpha
  }

  /// Improves the best edge `(bw, bj)` of point `p` (component `c`, core distance `ci`) with the
  /// points of `leaf`, considering only edges of weight at most `limit`.
  @inline(__always) private func scan(
    leaf: Int, from p: Int, _ c: Int, _ ci: Double, _ bw: inout Double, _ bj: inout Int, limit: Double,
    buffers: BlockSearchBuffers<S>
  ) {
    let s = tree.start[leaf], e = tree.end[leaf]
    var limit = Swift.min(limit, bw), limit2 = reach(limit)
    buffers.measure(tree.point(p), toLeaf: leaf)
    for t in s..<e where Int(componentAt[t]) != c && coreAt[t] <= limit {
      let d2 = buffers.distances[t - s]
      guard d2 <= limit2 else { continue }
      let w = weight(ci, coreAt[t], d2)
      if precedes(w, p, t, bw, bj) {
        bw = w
        bj = t
        if bw < limit {
          limit = bw
          limit2 = reach(limit)
        }
      }
    }
  }

  /// Improves `bestTo[p]` to the lightest edge from `p` leaving its component, unless that edge
  /// is heavier than a known edge leaving the component.
  @inline(__always) private func searchFrom(
    point p: Int, stack: inout [(Int, Double)], buffers: BlockSearchBuffers<S>
  ) {
    let key = buffers.key
    let c = Int(componentAt[p]), ci = coreAt[p]
    var bw = bestWeight[p], bj = Int(bestTo[p])
    if ci > componentBound[c] { return }
    tree.loadKey(p, into: key)
    var limit = Swift.min(bw, componentBound[c])
    stack.removeAll(keepingCapacity: true)
    stack.append((0, 0))
    while let (node, box) = stack.popLast() {
      if nodeComponent[node] == c { continue }
      if Swift.max(ci, nodeMinCore[node], scaledLowerBound(box)) > limit { continue }
      let l = tree.left[node]
      if l < 0 {
        scan(leaf: node, from: p, c, ci, &bw, &bj, limit: limit, buffers: buffers)
        limit = Swift.min(limit, bw)
      } else {
        let r = tree.right[node]
        let bl = tree.boxDistanceSquared(l, key: key), br = tree.boxDistanceSquared(r, key: key)
        KDTree<S>.pushNearerLast(&stack, l, bl, r, br)
      }
      limit = Swift.min(limit, componentBound[c])
    }
    bestWeight[p] = bw
    bestTo[p] = Int32(truncatingIfNeeded: bj)
    if bj >= 0 && bw < componentBound[c] { componentBound[c] = bw }
  }

  /// The searches from every point of the node `block`, all in component `c`, in one traversal
  /// pruned by the gap between boxes; each reached leaf is scanned for the points whose own bound
  /// allows it. The block's points' keys are loaded once, and their gaps to a reached leaf's box
  /// measured together, when it has at most `searchBlock` points; else each point's when needed.
  @inline(__always) private func searchFrom(
    block: Int, component c: Int, stack: inout [(Int, Double)], buffers: BlockSearchBuffers<S>
  ) {
    let first = tree.start[block], end = tree.end[block], blockCore = nodeMinCore[block]
    var limit = componentBound[c]
    if blockCore > limit { return }
    let cached = end - first <= BoruvkaRound.searchBlock
    if cached { buffers.loadBlock(first, end) }
    stack.removeAll(keepingCapacity: true)
    stack.append((0, 0))
    while let (node, gap) = stack.popLast() {
      if nodeComponent[node] == c { continue }
      if Swift.max(blockCore, nodeMinCore[node], scaledLowerBound(gap)) > limit { continue }
      let l = tree.left[node]
      if l < 0 {
        if cached { buffers.measureGaps(to: node) }
        for p in first..<end {
          let ci = coreAt[p]
          var bw = bestWeight[p], bj = Int(bestTo[p])
          let own = Swift.min(limit, bw)
          if ci > own { continue }
          let box: Double
          if cached {
            box = buffers.gaps[p - first]
          } else {
            tree.loadKey(p, into: buffers.key)
            box = tree.boxDistanceSquared(node, key: buffers.key)
          }
          if Swift.max(nodeMinCore[node], scaledLowerBound(box)) > own { continue }
          scan(leaf: node, from: p, c, ci, &bw, &bj, limit: limit, buffers: buffers)
          bestWeight[p] = bw
          bestTo[p] = Int32(truncatingIfNeeded: bj)
          if bj >= 0 { limit = Swift.min(limit, bw) }
        }
      } else {
        let r = tree.right[node]
        let bl = tree.boxGapSquared(l, block), br = tree.boxGapSquared(r, block)
        KDTree<S>.pushNearerLast(&stack, l, bl, r, br)
      }
      limit = Swift.min(limit, componentBound[c])
    }
    if limit < componentBound[c] { componentBound[c] = limit }
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
