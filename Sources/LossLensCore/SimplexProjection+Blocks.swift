/// The simplex projection of a vector split into blocks on different processes.
///
/// The threshold τ of `y` solves `f(τ) = Σ max(yᵢ − τ, 0) − radius = 0`; `f` is convex,
/// piecewise linear and decreasing, and is known at any τ from the count and the sum of the
/// entries above τ. A client evaluates `f` at a few candidate thresholds per round by summing
/// every block's `blockSums`, and narrows the bracket until no entry lies inside it: then the
/// active set is fixed and τ = (Σ_{yᵢ>τ} yᵢ − radius) / #{yᵢ > τ} exactly, as Condat's algorithm
/// finds it on the whole vector (`threshold`).
extension SimplexProjection {
  /// For each threshold `thresholds[j]`: the count and the sum of the entries `yᵢ − shift` above it.
  ///
  /// - Complexity: O(m log t + t log t) for m entries and t thresholds.
  public static func blockSums(
    _ y: UnsafeBufferPointer<Double>, shift: Double, thresholds: UnsafeBufferPointer<Double>,
    counts: UnsafeMutablePointer<Int64>, sums: UnsafeMutablePointer<Double>
  ) {
    let t = thresholds.count
    let order = thresholds.indices.sorted { thresholds[$0] < thresholds[$1] }
    let sorted = order.map { thresholds[$0] }
    // bucket q holds the entries above exactly q of the sorted thresholds.
    var bucketCounts = [Int64](repeating: 0, count: t + 1)
    var bucketSums = [Double](repeating: 0, count: t + 1)
    for value in y {
      let z = value - shift
      var low = 0, high = t
      while low < high {
        let mid = (low + high) / 2
        if sorted[mid] < z { low = mid + 1 } else { high = mid }
      }
      bucketCounts[low] += 1
      bucketSums[low] += z
    }
    // Entries above sorted threshold q are those in buckets q + 1 … t.
    var count: Int64 = 0, sum = 0.0
    for q in stride(from: t - 1, through: 0, by: -1) {
      count += bucketCounts[q + 1]
      sum += bucketSums[q + 1]
      counts[order[q]] = count
      sums[order[q]] = sum
    }
  }
}
