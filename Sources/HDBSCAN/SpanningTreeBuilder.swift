import LossLensCore

/// Steps 1–2 of HDBSCAN (Campello et al. 2013, Alg. 1): core distances and the minimum spanning
/// tree of the mutual-reachability graph.
public enum SpanningTreeBuilder {
  /// The spanning tree of `space` for `minSamples` (the package's convention, clipped to `n − 1`
  /// by the caller) and distance scale `alpha > 0`.
  ///
  /// - Complexity: O(n² · dim) time, O(n) memory beyond the input.
  public static func build<Space: MetricSpace>(
    _ space: Space, minSamples: Int, alpha: Double, threads: Int,
    core: UnsafeMutablePointer<Double>
  ) throws(LossLensError) -> SpanningTree {
    let n = space.count
    guard n >= 2 else { throw .invalid("X must have at least 2 samples (got \(n))") }
    guard minSamples >= 1, minSamples < n else {
      throw .invalid("min_samples must be in [1, n_samples - 1] (got \(minSamples))")
    }
    guard alpha > 0, alpha.isFinite else { throw .invalid("alpha must be a positive finite number (got \(alpha))") }
    if let euclidean = space as? FeatureSpace<EuclideanMetric> {
      try CoreDistances.euclideanBlocked(
        euclidean.data, count: n, dim: euclidean.dim, minSamples: minSamples, into: core, threads: threads)
      let bounds = ProjectionBounds(euclidean.data, count: n, dim: euclidean.dim)
      var norm = 0.0
      for i in 0..<(n * euclidean.dim) { norm = Swift.max(norm, abs(euclidean.data[i])) }
      // Rounding of the projections is relative to the coordinates' size, not to the distance.
      let slack = 1e-9 * (norm * Double(euclidean.dim).squareRoot() + 1e-300)
      return try PrimMST.spanningTree(space, core: core, alpha: alpha, bounds: bounds, slack: slack, threads: threads)
    }
    try CoreDistances.bruteForce(space, minSamples: minSamples, into: core, threads: threads)
    return try PrimMST.spanningTree(space, core: core, alpha: alpha, threads: threads)
  }

  /// The spanning tree of `count` Euclidean points (`Float` or `Double`, read in place) by Borůvka
  /// on a k-d tree (core distances and their neighbour table from the same tree); its edges are
  /// listed in the order Prim's algorithm along the tree takes them. Distances are computed in
  /// `Double` from the points as given, so `Float` points give the tree of the `Double` points of
  /// the same values.
  ///
  /// - Complexity: O(n log² n) expected in low (intrinsic) dimension, O(n) memory (independent of minSamples).
  public static func buildKDTree<S: LossLensReal>(
    _ x: UnsafePointer<S>, count n: Int, dim: Int, minSamples: Int, alpha: Double, threads: Int,
    core: UnsafeMutablePointer<Double>
  ) throws(LossLensError) -> SpanningTree {
    guard n >= 2 else { throw .invalid("X must have at least 2 samples (got \(n))") }
    guard minSamples >= 1, minSamples < n else {
      throw .invalid("min_samples must be in [1, n_samples - 1] (got \(minSamples))")
    }
    guard alpha > 0, alpha.isFinite else { throw .invalid("alpha must be a positive finite number (got \(alpha))") }
    guard n < Int(Int32.max) else { throw .invalid("X must have fewer than 2^31 - 1 samples (got \(n))") }
    // The tree, the table and Borůvka's buffers are gone before the edges are put in Prim's order;
    // only the tree's order (4 B/point) is kept: the edges join tree positions, where points near
    // each other in space are near each other in memory, as Prim's walk along the tree is.
    let edges: [(Int32, Int32, Double)], original: [Int32]
    do {
      let tree = KDTree(x, count: n, dim: dim, threads: threads)
      defer { tree.deallocate() }
      let table = dim > KDTree<S>.projectionThreshold
        ? tree.neighboursBlocked(k: minSamples, core: core, threads: threads)
        : tree.neighbours(k: minSamples, core: core, threads: threads)
      defer { table.deallocate() }
      edges = try BoruvkaMST.edges(tree, neighbours: table, core: core, alpha: alpha, threads: threads)
      original = Array(UnsafeBufferPointer(start: tree.index, count: n))
    }
    return PrimOrder.order(edges, pointCount: n, original: original)
  }
}
