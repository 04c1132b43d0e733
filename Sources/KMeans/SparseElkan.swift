import LossLensCore

extension SparseKMeansProblem {
  /// Euclidean distance between row `i` and centre `j` of `centers`.
  @inline(__always) func distance(row i: Int, center j: Int, _ centers: UnsafePointer<T>, _ norms: [T]) -> T {
    squaredDistance(row: i, to: centers + j * d, norm: norms[j]).squareRoot()
  }

  /// Exact first labels and tight bounds, skipping centres the triangle inequality rules out
  /// (scikit-learn's `init_bounds_sparse`).
  ///
  /// - Complexity: O(nnz·k) at worst.
  func elkanInitialBounds(
    _ centers: UnsafePointer<T>, k: Int, labels: UnsafeMutablePointer<Int32>, bounds: ElkanBounds<T>
  ) {
    let norms = centerNorms(centers, k: k)
    parallelFor(n, grain: 256, threads: threads) { range in
      for i in range {
        labels[i] = Int32(bounds.initialize(row: i, k: k) { j in distance(row: i, center: j, centers, norms) })
      }
    }
  }

  /// Elkan's E-step from centres `old`: `due`, when given, holds the last displacements, applied to
  /// each row's bounds just before the row is examined.
  ///
  /// - Complexity: O(nnz·k) at worst, usually O(n·k).
  func elkanLabels(
    old: UnsafePointer<T>, k: Int, labels: UnsafeMutablePointer<Int32>, bounds: ElkanBounds<T>,
    due: UnsafePointer<T>?
  ) {
    let norms = centerNorms(old, k: k)
    parallelFor(n, grain: 256, threads: threads) { range in
      for i in range {
        labels[i] = Int32(bounds.step(row: i, label: Int(labels[i]), k: k, due: due) { j in
          distance(row: i, center: j, old, norms)
        })
      }
    }
  }

  /// Elkan's algorithm from `centers` (overwritten with the result), with the stopping rules and
  /// final E-step of `lloyd`; the labels equal Lloyd's up to ties.
  ///
  /// - Complexity: O(iterations · nnz·k) at worst; O(n·k) memory for the lower bounds.
  public func elkan(
    centers: UnsafeMutablePointer<T>, k: Int, maxIterations: Int, tol: Double, labels: UnsafeMutablePointer<Int32>
  ) throws(LossLensError) -> KMeansRun {
    try KMeansLoop.check(n: n, k: k, maxIterations: maxIterations, tol: tol)
    let bounds = ElkanBounds<T>(n: n, k: k)
    defer { bounds.deallocate() }
    bounds.measure(centers: centers, k: k, d: d)
    elkanInitialBounds(centers, k: k, labels: labels, bounds: bounds)
    var shifted = false
    return try KMeansLoop.run(
      centers: centers, n: n, k: k, d: d, maxIterations: maxIterations, tol: tol, labels: labels,
      inertia: { c, l in inertia(centers: c, k: k, labels: l) }
    ) { old, new, shift, update in
      elkanLabels(
        old: old, k: k, labels: labels, bounds: bounds, due: shifted ? UnsafePointer(bounds.due.baseAddress!) : nil)
      if update {
        updateCenters(old: old, new: new, k: k, labels: labels, shift: shift)
        bounds.measure(centers: new, k: k, d: d)
        bounds.due.baseAddress!.update(from: shift, count: k)
        shifted = true
      }
    }
  }
}
