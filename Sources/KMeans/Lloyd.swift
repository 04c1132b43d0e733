import LossLensCore

/// What one k-means run returns besides the labels and centres it writes.
public struct KMeansRun: Sendable {
  /// Σᵢ wᵢ ‖xᵢ − c_{labelᵢ}‖² at the final centres.
  public var inertia: Double
  /// Iterations run (scikit-learn's `n_iter_`).
  public var iterations: Int
}

extension KMeansProblem {
  /// Lloyd's E-step (KMeans [Lloyd]) on rows of block `rows`: the nearest centre of each row by
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

  /// scikit-learn's outer loop around `step` (see `KMeansLoop.run`) with this problem's inertia.
  ///
  /// - Complexity: `maxIterations` steps at most.
  func iterate(
    centers: UnsafeMutablePointer<T>, k: Int, maxIterations: Int, tol: Double, labels: UnsafeMutablePointer<Int32>,
    step: (UnsafePointer<T>, UnsafeMutablePointer<T>, UnsafeMutablePointer<T>, Bool) -> Void
  ) throws(LossLensError) -> KMeansRun {
    try KMeansLoop.run(
      centers: centers, n: n, k: k, d: d, maxIterations: maxIterations, tol: tol, labels: labels,
      inertia: { c, l in inertia(centers: c, labels: l) }, step: step)
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
    try KMeansLoop.check(n: n, k: k, maxIterations: maxIterations, tol: tol)
  }
}
