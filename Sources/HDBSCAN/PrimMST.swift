import LossLensCore

/// Prim's algorithm on the mutual-reachability distance
/// `d_mreach(a, b) = max(core(a), core(b), d(a, b) / alpha)` (Campello et al. 2013, Def. 3),
/// computing distances on the fly: O(n) memory, never an n×n matrix.
public enum PrimMST {
  /// The exact minimum spanning tree, grown from point 0; ties go to the lowest index.
  ///
  /// A distance is only evaluated when it can improve a point's current best edge (the core
  /// distances bound it from below), as in the `hdbscan` package's `mst_linkage_core_vector`.
  /// - Complexity: O(n² · dim) time in the worst case, spread over `threads`; O(n) memory.
  public static func spanningTree<Space: MetricSpace>(
    _ space: Space, core: UnsafePointer<Double>, alpha: Double, threads: Int
  ) throws(LossLensError) -> SpanningTree {
    let n = space.count
    var tree = SpanningTree(capacity: max(0, n - 1))
    guard n > 1 else { return tree }
    let best = UnsafeMutablePointer<Double>.allocate(capacity: n)
    let from = UnsafeMutablePointer<Int>.allocate(capacity: n)
    let inTree = UnsafeMutablePointer<Bool>.allocate(capacity: n)
    best.initialize(repeating: .infinity, count: n)
    from.initialize(repeating: 0, count: n)
    inTree.initialize(repeating: false, count: n)
    defer { best.deallocate(); from.deallocate(); inTree.deallocate() }

    // One (distance, index) candidate per chunk; merged in chunk order so ties match a serial scan.
    let chunks = max(1, min(threads * 4, n / 2048))
    let chunkSize = (n + chunks - 1) / chunks
    let candidateDistance = UnsafeMutablePointer<Double>.allocate(capacity: chunks)
    let candidateIndex = UnsafeMutablePointer<Int>.allocate(capacity: chunks)
    defer { candidateDistance.deallocate(); candidateIndex.deallocate() }
    let scale = alpha == 1 ? nil : alpha
    var current = 0
    for _ in 1..<n {
      if tree.count & 255 == 0 { try Cancellation.check() }
      inTree[current] = true
      let currentCore = core[current]
      let node = current
      parallelFor(chunks, threads: chunks > 1 ? threads : 1) { range in
        for chunk in range {
          var localBest = Double.infinity, localIndex = -1
          for j in (chunk * chunkSize)..<min(n, (chunk + 1) * chunkSize) where !inTree[j] {
            var right = best[j]
            if currentCore < right && core[j] < right {
              var d = space.distance(node, j)
              if let scale { d /= scale }
              if d < right {
                let reach = Swift.max(d, core[j], currentCore)
                if reach < right {
                  best[j] = reach
                  from[j] = node
                  right = reach
                }
              }
            }
            if right < localBest || localIndex < 0 {
              localBest = right
              localIndex = j
            }
          }
          candidateDistance[chunk] = localBest
          candidateIndex[chunk] = localIndex
        }
      }
      var next = -1, nextDistance = Double.infinity
      for chunk in 0..<chunks where candidateIndex[chunk] >= 0 {
        if next < 0 || candidateDistance[chunk] < nextDistance {
          next = candidateIndex[chunk]
          nextDistance = candidateDistance[chunk]
        }
      }
      guard next >= 0 else { throw LossLensError(.numericalFailure, "spanning tree: no point left to add") }
      tree.source.append(from[next])
      tree.target.append(next)
      tree.weight.append(nextDistance)
      current = next
    }
    return tree
  }
}
