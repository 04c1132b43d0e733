import LossLensCore

/// What one k-means run returns besides the labels and centres it writes.
public struct KMeansRun: Sendable {
  /// Σᵢ wᵢ ‖xᵢ − c_{labelᵢ}‖² at the final centres.
  public var inertia: Double
  /// Iterations run (scikit-learn's `n_iter_`).
  public var iterations: Int
}

extension KMeansProblem {
  /// Lloyd's E-step on rows of block `rows`: the nearest centre of each row by
  /// `‖c‖² − 2 x·c` (one gemm per 256 rows, first minimum wins), optionally added to `sums`.
  ///
  /// - Complexity: O(|rows|·k·d).
  func assignBlock(
    _ rows: Range<Int>, part: Int, centers: UnsafePointer<T>, centerNorms: UnsafePointer<T>, k: Int,
    labels: UnsafeMutablePointer<Int32>, buffer: UnsafeMutablePointer<T>, sums: CenterSums<T>?
  ) {
    var start = rows.lowerBound
    while start < rows.upperBound {
      let m = min(Self.chunkRows, rows.upperBound - start)
      for i in 0..<m { (buffer + i * k).update(from: centerNorms, count: k) }
      T.gemm(
        transA: false, transB: true, m: m, n: k, k: d, alpha: -2, a: x + start * d, lda: d,
        b: centers, ldb: d, beta: 1, c: buffer, ldc: k)
      for i in 0..<m {
        let row = buffer + i * k
        var best = 0
        var bestValue = row[0]
        for j in 1..<k where row[j] < bestValue {
          bestValue = row[j]
          best = j
        }
        labels[start + i] = Int32(best)
        sums?.add(part: part, label: best, row: x + (start + i) * d, weight: weights[start + i])
      }
      start += m
    }
  }

  /// One Lloyd iteration: labels from `old`; with `update`, the new centres in `new` and each
  /// centre's displacement in `shift`.
  ///
  /// - Complexity: O(n·k·d).
  func lloydStep(
    old: UnsafePointer<T>, new: UnsafeMutablePointer<T>, k: Int, labels: UnsafeMutablePointer<Int32>,
    shift: UnsafeMutablePointer<T>, update: Bool
  ) {
    let blocks = parts
    let norms = UnsafeMutableBufferPointer<T>.allocate(capacity: k)
    let sums = CenterSums<T>(parts: blocks.count, k: k, d: d)
    let weightIn = UnsafeMutableBufferPointer<T>.allocate(capacity: k)
    defer { norms.deallocate(); sums.deallocate(); weightIn.deallocate() }
    for j in 0..<k { norms[j] = T.dot(n: d, x: old + j * d, incx: 1, y: old + j * d, incy: 1) }
    parallelFor(blocks.count, threads: threads) { range in
      let buffer = UnsafeMutablePointer<T>.allocate(capacity: Self.chunkRows * k)
      defer { buffer.deallocate() }
      for p in range {
        if update { sums.reset(part: p) }
        assignBlock(
          blocks[p], part: p, centers: old, centerNorms: norms.baseAddress!, k: k, labels: labels,
          buffer: buffer, sums: update ? sums : nil)
      }
    }
    guard update else { return }
    sums.reduce(parts: blocks.count, into: new, weightIn: weightIn.baseAddress!)
    finishCenters(old: old, new: new, weightIn: weightIn.baseAddress!, labels: labels, k: k, shift: shift)
  }

  /// Lloyd's algorithm from the centres in `centers` (`k × d`, overwritten with the result),
  /// with scikit-learn's stopping rules: stop when the labels repeat (strict convergence) or when
  /// Σⱼ ‖shiftⱼ‖² ≤ `tol`; without strict convergence a last E-step makes the labels match the centres.
  ///
  /// - Complexity: O(iterations · n·k·d).
  public func lloyd(
    centers: UnsafeMutablePointer<T>, k: Int, maxIterations: Int, tol: Double,
    labels: UnsafeMutablePointer<Int32>
  ) throws(LossLensError) -> KMeansRun {
    try checkRun(k: k, maxIterations: maxIterations, tol: tol)
    return try iterate(centers: centers, k: k, maxIterations: maxIterations, tol: tol, labels: labels) {
      old, new, shift, update in
      lloydStep(old: old, new: new, k: k, labels: labels, shift: shift, update: update)
    }
  }

  /// scikit-learn's outer loop around `step(old, new, shift, update)`: stop when the labels repeat
  /// or Σⱼ shiftⱼ² ≤ `tol`; without strict convergence, one more E-step; then the inertia.
  ///
  /// - Complexity: `maxIterations` steps at most.
  func iterate(
    centers: UnsafeMutablePointer<T>, k: Int, maxIterations: Int, tol: Double, labels: UnsafeMutablePointer<Int32>,
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
      if Self.equal(labels, previous, n) {
        strict = true
        break
      }
      if totalShift(shift, k) <= tol { break }
      previous.update(from: labels, count: n)
    }
    if !strict { step(current, next, shift, false) }
    if current != centers { centers.update(from: current, count: k * d) }
    return KMeansRun(inertia: inertia(centers: centers, labels: labels), iterations: iterations)
  }

  /// Labels of every row by its nearest centre and the inertia (scikit-learn's `predict`/`score`).
  ///
  /// - Complexity: O(n·k·d).
  public func assign(
    centers: UnsafePointer<T>, k: Int, labels: UnsafeMutablePointer<Int32>
  ) throws(LossLensError) -> Double {
    guard k >= 1 else { throw .invalid("n_clusters must be >= 1 (got \(k))") }
    guard Matrix.allFinite(centers, count: k * d) else { throw .invalid("cluster centres contain NaN or infinity") }
    let shift = UnsafeMutablePointer<T>.allocate(capacity: k)
    defer { shift.deallocate() }
    lloydStep(old: centers, new: UnsafeMutablePointer(mutating: centers), k: k, labels: labels, shift: shift, update: false)
    return inertia(centers: centers, labels: labels)
  }

  /// Checks the arguments common to every run.
  func checkRun(k: Int, maxIterations: Int, tol: Double) throws(LossLensError) {
    guard k >= 1 else { throw .invalid("n_clusters must be >= 1 (got \(k))") }
    guard k <= n else { throw .invalid("n_samples=\(n) should be >= n_clusters=\(k)") }
    guard maxIterations >= 1 else { throw .invalid("max_iter must be >= 1 (got \(maxIterations))") }
    guard tol >= 0, tol.isFinite else { throw .invalid("tol must be a finite number >= 0 (got \(tol))") }
  }

  /// Σⱼ shiftⱼ², in double precision.
  func totalShift(_ shift: UnsafePointer<T>, _ k: Int) -> Double {
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
