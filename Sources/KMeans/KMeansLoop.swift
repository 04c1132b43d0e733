import LossLensCore

/// scikit-learn's outer k-means loop (`_kmeans_single_lloyd` / `_elkan`), shared by the dense and
/// sparse problems.
enum KMeansLoop {
  /// Checks the arguments common to every run.
  static func check(n: Int, k: Int, maxIterations: Int, tol: Double) throws(LossLensError) {
    guard k >= 1 else { throw .invalid("n_clusters must be >= 1 (got \(k))") }
    guard k <= n else { throw .invalid("n_samples=\(n) should be >= n_clusters=\(k)") }
    guard maxIterations >= 1 else { throw .invalid("max_iter must be >= 1 (got \(maxIterations))") }
    guard tol >= 0, tol.isFinite else { throw .invalid("tol must be a finite number >= 0 (got \(tol))") }
  }

  /// Runs `step(old, new, shift, update)` until the labels repeat (strict convergence) or
  /// Σⱼ shiftⱼ² ≤ `tol`; without strict convergence, one more E-step (`update == false`) makes the
  /// labels match the centres. `centers` (`k × d`) receives the result.
  ///
  /// - Complexity: `maxIterations` steps at most.
  static func run<T: LossLensReal>(
    centers: UnsafeMutablePointer<T>, n: Int, k: Int, d: Int, maxIterations: Int, tol: Double,
    labels: UnsafeMutablePointer<Int32>,
    inertia: (UnsafePointer<T>, UnsafePointer<Int32>) -> Double,
    step: (UnsafePointer<T>, UnsafeMutablePointer<T>, UnsafeMutablePointer<T>, Bool) -> Void
  ) throws(LossLensError) -> KMeansRun {
    let other = UnsafeMutablePointer<T>.allocate(capacity: k * d)
    let shift = UnsafeMutablePointer<T>.allocate(capacity: k)
    let previous = UnsafeMutablePointer<Int32>.allocate(capacity: n)
    defer { other.deallocate(); shift.deallocate(); previous.deallocate() }
    previous.update(repeating: -1, count: n)
    var current = centers, next = other
    var strict = false
    var iterations = 0
    for _ in 0..<maxIterations {
      try Cancellation.check()
      step(current, next, shift, true)
      swap(&current, &next)
      iterations += 1
      if equal(labels, previous, n) {
        strict = true
        break
      }
      if totalShift(shift, k) <= tol { break }
      previous.update(from: labels, count: n)
    }
    if !strict { step(current, next, shift, false) }
    if current != centers { centers.update(from: current, count: k * d) }
    return KMeansRun(inertia: inertia(centers, labels), iterations: iterations)
  }

  /// Σⱼ shiftⱼ², in double precision.
  static func totalShift<T: LossLensReal>(_ shift: UnsafePointer<T>, _ k: Int) -> Double {
    var s = 0.0
    for j in 0..<k { s += Double(shift[j]) * Double(shift[j]) }
    return s
  }

  /// `true` when the first `n` labels agree.
  static func equal(_ a: UnsafePointer<Int32>, _ b: UnsafePointer<Int32>, _ n: Int) -> Bool {
    for i in 0..<n where a[i] != b[i] { return false }
    return true
  }
}
