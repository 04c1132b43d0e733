import LossLensCore

/// Steps 1–2 of HDBSCAN (Campello et al. 2013, Alg. 1): core distances and the minimum spanning
/// tree of the mutual-reachability graph.
public enum SpanningTreeBuilder {
  /// The spanning tree of `space` for `minSamples` (the package's convention, clipped to `n − 1`
  /// by the caller) and distance scale `alpha > 0`.
  ///
  /// - Complexity: O(n² · dim) time, O(n) memory beyond the input.
  public static func build(
    _ space: MetricSpace, minSamples: Int, alpha: Double, threads: Int,
    core: UnsafeMutablePointer<Double>
  ) throws(LossLensError) -> SpanningTree {
    let n = space.count
    guard n >= 2 else { throw .invalid("X must have at least 2 samples (got \(n))") }
    guard minSamples >= 1, minSamples < n else {
      throw .invalid("min_samples must be in [1, n_samples - 1] (got \(minSamples))")
    }
    guard alpha > 0, alpha.isFinite else { throw .invalid("alpha must be a positive finite number (got \(alpha))") }
    try CoreDistances.bruteForce(space, minSamples: minSamples, into: core, threads: threads)
    return try PrimMST.spanningTree(space, core: core, alpha: alpha, threads: threads)
  }
}
