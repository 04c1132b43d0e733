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
  /// `‖c‖² − 2 x·c` (one gemm per `chunkRows` rows, first minimum wins), optionally added to `sums`.
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
        let best = Self.firstMinimum(buffer + i * k, count: k)
        labels[start + i] = Int32(best)
        sums?.add(part: part, label: best, row: x + (start + i) * d, weight: weights[start + i])
      }
      start += m
    }
  }

  /// Index of the first smallest of `count ≥ 1` values: branch-free minima of blocks of eight,
  /// the first block holding the smallest, then the first position in it.
  ///
  /// - Complexity: O(count).
  @inline(__always) static func firstMinimum(_ v: UnsafePointer<T>, count: Int) -> Int {
    var best = v[0]
    var block = 0
    var j = 0
    while j + 8 <= count {
      let low = min(min(v[j], v[j + 1]), min(v[j + 2], v[j + 3]))
      let high = min(min(v[j + 4], v[j + 5]), min(v[j + 6], v[j + 7]))
      let m = min(low, high)
      if m < best {
        best = m
        block = j
      }
      j += 8
    }
    for t in j..<count where v[t] < best {
      best = v[t]
      block = t
    }
    for t in block..<count where v[t] == best { return t }
    return block
  }

  /// One Lloyd iteration: labels from `old`; with `sums`, the new centres in `new` and each
  /// centre's displacement in `shift`.
  ///
  /// - Complexity: O(n·k·d).
  func lloydStep(
    old: UnsafePointer<T>, new: UnsafeMutablePointer<T>, k: Int, labels: UnsafeMutablePointer<Int32>,
    shift: UnsafeMutablePointer<T>, sums: CenterSums<T>?
  ) {
    let blocks = parts
    let norms = UnsafeMutableBufferPointer<T>.allocate(capacity: k)
    defer { norms.deallocate() }
    for j in 0..<k { norms[j] = T.dot(n: d, x: old + j * d, incx: 1, y: old + j * d, incy: 1) }
    parallelFor(blocks.count, threads: threads) { range in
      let buffer = UnsafeMutablePointer<T>.allocate(capacity: Self.chunkRows * k)
      defer { buffer.deallocate() }
      for p in range {
        sums?.reset(part: p)
        assignBlock(
          blocks[p], part: p, centers: old, centerNorms: norms.baseAddress!, k: k, labels: labels,
          buffer: buffer, sums: sums)
      }
    }
    guard let sums else { return }
    sums.reduce(parts: blocks.count, into: new)
    finishCenters(old: old, new: new, weightIn: sums.totals.baseAddress!, labels: labels, k: k, shift: shift)
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
    let sums = CenterSums<T>(parts: parts.count, k: k, d: d)
    defer { sums.deallocate() }
    return try iterate(centers: centers, k: k, maxIterations: maxIterations, tol: tol, labels: labels) {
      old, new, shift, update in
      lloydStep(old: old, new: new, k: k, labels: labels, shift: shift, sums: update ? sums : nil)
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
    lloydStep(old: centers, new: UnsafeMutablePointer(mutating: centers), k: k, labels: labels, shift: shift, sums: nil)
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
