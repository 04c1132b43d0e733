import LossLensCore

/// Core distances of HDBSCAN (HDBSCAN [core distance]; Campello et al. 2013, Def. 1): the distance from each point to its
/// `minSamples`-th nearest neighbour, the point itself counting as the 0-th.
///
/// This is the `hdbscan` package's convention (a k-d tree query of `min_samples + 1` neighbours,
/// last column); scikit-learn's `min_samples = k + 1` gives the same value.
public enum CoreDistances {
  /// Core distance of every point of `space` by exhaustive search, into `out` (length n).
  /// For a precomputed matrix the k-th smallest entry of each column is taken, as the package does.
  ///
  /// - Complexity: O(n² · dim) time spread over `threads`, O(threads · k) extra memory.
  public static func bruteForce<Space: MetricSpace>(
    _ space: Space, minSamples k: Int, into out: UnsafeMutablePointer<Double>, threads: Int
  ) throws(LossLensError) {
    let n = space.count
    guard k >= 0, k < n else { throw .invalid("min_samples must be < n_samples") }
    var cancelled = false
    parallelFor(n, grain: 16, threads: threads) { range in
      // The k+1 smallest distances seen so far, kept sorted ascending.
      var best = [Double](repeating: .infinity, count: k + 1)
      for i in range {
        if Cancellation.isRequested { cancelled = true; return }
        for t in 0...k { best[t] = .infinity }
        for j in 0..<n {
          let d = space.coreCandidate(i, j)
          guard d < best[k] else { continue }
          var t = k
          while t > 0 && best[t - 1] > d {
            best[t] = best[t - 1]
            t -= 1
          }
          best[t] = d
        }
        out[i] = best[k]
      }
    }
    if cancelled { throw LossLensError(.cancelled, "interrupted") }
  }
}
