import LossLensCore

/// Prim's algorithm on the mutual-reachability distance (HDBSCAN [mutual reachability])
/// `d_mreach(a, b) = max(core(a), core(b), d(a, b) / alpha)` (Campello et al. 2013, Def. 3),
/// computing distances on the fly: O(n) memory, never an n×n matrix.
public enum PrimMST {
  /// The exact minimum spanning tree, grown from point 0; ties go to the lowest index.
  ///
  /// A distance is only evaluated when it can improve a point's current best edge: the core
  /// distances bound it from below (as in the `hdbscan` package's `mst_linkage_core_vector`), and
  /// so do the projections in `bounds` (Euclidean only) with `slack` absorbing their rounding.
  /// Each step's scan is split over `threads` by interleaved index partitions.
  /// - Complexity: O(n² · dim) time in the worst case, O(n²) when the bounds prune; O(n) memory.
  public static func spanningTree<Space: MetricSpace>(
    _ space: Space, core: UnsafePointer<Double>, alpha: Double, bounds: ProjectionBounds? = nil,
    slack: Double = 0, threads: Int = 1
  ) throws(LossLensError) -> SpanningTree {
    let n = space.count
    var tree = SpanningTree(capacity: max(0, n - 1))
    guard n > 1 else { return tree }
    let parts = n >= 4096 ? Swift.max(1, Swift.min(threads, 8)) : 1
    let state = PrimState(count: n, partitions: parts, bounds: bounds)
    defer { state.deallocate() }
    let scan = { (p: Int) in state.scan(partition: p, space: space, core: core, alpha: alpha, slack: slack) }
    let team = parts > 1 ? PrimTeam(threads: parts, partitions: parts, body: scan) : nil
    defer { team?.stop() }
    for _ in 1..<n {
      if tree.count & 255 == 0 { try Cancellation.check() }
      if let team { team.step() } else { scan(0) }
      var next = -1, nextDistance = Double.infinity
      for p in 0..<parts where state.candidate[p] >= 0 {
        let j = state.candidate[p], w = state.candidateWeight[p]
        if next < 0 || w < nextDistance || (w == nextDistance && j < next) {
          next = j
          nextDistance = w
        }
      }
      guard next >= 0 else { throw LossLensError(.numericalFailure, "spanning tree: no point left to add") }
      tree.source.append(state.from[next])
      tree.target.append(next)
      tree.weight.append(nextDistance)
      state.current = next
    }
    return tree
  }
}

/// Buffers of one Prim run, shared by the threads that scan disjoint partitions.
final class PrimState: @unchecked Sendable {
  let count: Int, partitions: Int
  /// Best known edge weight and its tree end, per point.
  let best: UnsafeMutablePointer<Double>, from: UnsafeMutablePointer<Int>
  /// Points not in the tree of partition p (indices ≡ p mod partitions, ascending), and their number.
  let remaining: UnsafeMutablePointer<Int>, remainingCount: UnsafeMutablePointer<Int>
  let stride: Int
  /// Lightest candidate of each partition after a scan (−1: none).
  let candidate: UnsafeMutablePointer<Int>, candidateWeight: UnsafeMutablePointer<Double>
  let width: Int
  let projected: [Double]
  /// The point added last.
  var current = 0

  init(count n: Int, partitions: Int, bounds: ProjectionBounds?) {
    count = n
    self.partitions = partitions
    best = .allocate(capacity: n); best.initialize(repeating: .infinity, count: n)
    from = .allocate(capacity: n); from.initialize(repeating: 0, count: n)
    stride = (n + partitions - 1) / partitions
    remaining = .allocate(capacity: stride * partitions)
    remainingCount = .allocate(capacity: partitions)
    for p in 0..<partitions {
      var k = 0
      for j in Swift.stride(from: p, to: n, by: partitions) where j != 0 { remaining[p * stride + k] = j; k += 1 }
      remainingCount[p] = k
    }
    candidate = .allocate(capacity: partitions)
    candidateWeight = .allocate(capacity: partitions)
    width = bounds?.width ?? 0
    projected = bounds?.coordinates ?? []
  }

  func deallocate() {
    best.deallocate(); from.deallocate(); remaining.deallocate(); remainingCount.deallocate()
    candidate.deallocate(); candidateWeight.deallocate()
  }

  /// Relaxes the edges from `current` to the points of partition `p`, drops `current` from it and
  /// records the partition's lightest candidate (lowest index among ties).
  func scan<Space: MetricSpace>(partition p: Int, space: Space, core: UnsafePointer<Double>, alpha: Double, slack: Double) {
    let node = current, nodeCore = core[node]
    let list = remaining + p * stride
    var kept = 0, next = -1, nextDistance = Double.infinity
    projected.withUnsafeBufferPointer { proj in
      let pc = width > 0 ? proj.baseAddress! + node * width : nil
      for t in 0..<remainingCount[p] {
        let j = list[t]
        if j == node { continue }
        list[kept] = j
        kept += 1
        var right = best[j]
        if nodeCore < right && core[j] < right {
          var reachable = true
          if let pc {
            let pj = proj.baseAddress! + j * width
            var lower = 0.0
            for m in 0..<width { let g = pc[m] - pj[m]; lower += g * g }
            let limit = right * alpha + slack
            reachable = lower < limit * limit
          }
          if reachable {
            var d = space.distance(node, j)
            if alpha != 1 { d /= alpha }
            if d < right {
              let reach = Swift.max(d, core[j], nodeCore)
              if reach < right {
                best[j] = reach
                from[j] = node
                right = reach
              }
            }
          }
        }
        if right < nextDistance || next < 0 {
          nextDistance = right
          next = j
        }
      }
    }
    remainingCount[p] = kept
    candidate[p] = next
    candidateWeight[p] = nextDistance
  }
}
