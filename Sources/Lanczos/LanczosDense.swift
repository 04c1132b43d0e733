import LossLensCore

extension LanczosSolver {
  /// Runs the solver to the end on the dense symmetric `n × n` row-major matrix `a` (product by `gemv`).
  ///
  /// - Returns: the finished solver; read `values`, `vectors`, `residuals`, `operatorCalls`.
  /// - Complexity: O(n²) per operator call plus the solver's own work.
  public static func solveDense(
    _ a: UnsafePointer<Double>, dimension n: Int, options: LanczosOptions,
    start: UnsafePointer<Double>?, deflation: UnsafePointer<Double>?, deflationCount p: Int
  ) throws(LossLensError) -> LanczosSolver {
    guard Matrix.allFinite(a, count: n * n) else { throw .invalid("the operator matrix contains NaN or infinity") }
    let solver = try LanczosSolver(dimension: n, options: options, start: start, deflation: deflation, deflationCount: p)
    let x = UnsafeMutablePointer<Double>.allocate(capacity: n)
    let y = UnsafeMutablePointer<Double>.allocate(capacity: n)
    defer { x.deallocate(); y.deallocate() }
    var product: UnsafePointer<Double>? = nil
    while try solver.step(product: product, request: x) == .applyOperator {
      Double.gemv(trans: false, m: n, n: n, alpha: 1, a: a, lda: n, x: x, incx: 1, beta: 0, y: y, incy: 1)
      product = UnsafePointer(y)
      try Cancellation.check()
    }
    return solver
  }
}
