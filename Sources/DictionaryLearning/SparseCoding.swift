import LossLensCore

/// The sparse-coding half of dictionary learning, and `transform`: every sample's Lasso code
/// against a fixed dictionary, `min_u 0.5 ‖x − Vᵀu‖² + alpha ‖u‖₁`, solved on the Gram matrix.
public enum SparseCoding {
  /// Codes every row of `x` (n×p) against `dictionary` (K×p). `code` (n×K) holds the warm start
  /// on entry (zeros for a cold start) and the codes on exit.
  ///
  /// - Complexity: O(n·p·K) in BLAS, then O(K²) per sample and sweep, samples spread over `threads`.
  public static func encode<T: LossLensReal>(
    x: UnsafePointer<T>, samples n: Int, features p: Int,
    dictionary: UnsafePointer<T>, atoms k: Int, code: UnsafeMutablePointer<T>,
    alpha: Double, positive: Bool, maxSweeps: Int, tol: Double, threads: Int
  ) throws(LossLensError) {
    try checkShape(samples: n, features: p, atoms: k)
    try checkCoding(alpha: alpha, maxSweeps: maxSweeps, tol: tol)
    guard Matrix.allFinite(x, count: n * p) else { throw .invalid("X contains NaN or infinity") }
    guard Matrix.allFinite(dictionary, count: k * p) else { throw .invalid("dictionary contains NaN or infinity") }
    guard Matrix.allFinite(UnsafePointer(code), count: n * k) else { throw .invalid("init contains NaN or infinity") }
    let work = Workspace<T>(samples: n, features: p, atoms: k)
    work.computeSquaredNorms(x: x)
    work.refreshCross(x: x, dictionary: dictionary, threads: threads)
    for i in 0..<(n * k) { work.code[i] = Double(code[i]) }
    let problem = GramLasso.Problem(
      gram: work.gram, atoms: k, alpha: alpha, positive: positive, maxSweeps: maxSweeps, tol: tol)
    codeStep(problem, work, threads: threads)
    try Cancellation.check()  // an interrupted step leaves some samples uncoded: report, do not return them
    for i in 0..<(n * k) { code[i] = T(work.code[i]) }
  }

  /// Codes samples from their statistics alone: `cross` (n×K, `C = X Vᵀ`), `gram` (K×K, `G = V Vᵀ`)
  /// and `squaredNorms` (n, `‖x_i‖²`), as a fit whose `X` is spread over several machines gathers
  /// them (sums of per-block products). `code` (n×K) holds the warm start and receives the codes:
  /// the same iterates as `encode` on the `X` behind these statistics.
  ///
  /// - Complexity: O(K²) per sample and sweep, samples spread over `threads`.
  public static func encodeGram(
    gram: UnsafePointer<Double>, cross: UnsafePointer<Double>, squaredNorms: UnsafePointer<Double>,
    samples n: Int, atoms k: Int, code: UnsafeMutablePointer<Double>,
    alpha: Double, positive: Bool, maxSweeps: Int, tol: Double, threads: Int
  ) throws(LossLensError) {
    guard n > 0, k > 0 else { throw .invalid("cross must not be empty (got shape (\(n), \(k)))") }
    try checkCoding(alpha: alpha, maxSweeps: maxSweeps, tol: tol)
    guard Matrix.allFinite(gram, count: k * k), Matrix.allFinite(cross, count: n * k),
          Matrix.allFinite(squaredNorms, count: n), Matrix.allFinite(UnsafePointer(code), count: n * k)
    else { throw .invalid("gram, cross, squared_norms and code must be finite") }
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: n * k)
    defer { scratch.deallocate() }
    let problem = GramLasso.Problem(
      gram: gram, atoms: k, alpha: alpha, positive: positive, maxSweeps: maxSweeps, tol: tol)
    codeStep(problem, samples: n, cross: cross, squaredNorms: squaredNorms, code: code, scratch: scratch,
             threads: threads)
    try Cancellation.check()
  }

  /// Runs the Gram Lasso for every sample on the workspace's current `C`, `G` and code; stops
  /// early when cancellation is requested, so callers must `Cancellation.check()` afterwards.
  ///
  /// - Complexity: O(K²) per sample and sweep, spread over `threads`.
  static func codeStep<T>(_ problem: GramLasso.Problem, _ work: Workspace<T>, threads: Int) {
    codeStep(problem, samples: work.samples, cross: work.cross, squaredNorms: work.squaredNorms, code: work.code,
             scratch: work.gramTimesCode, threads: threads)
  }

  /// The coding step on plain buffers: `cross` and `code` n×K, `scratch` n×K (`G u` per sample).
  static func codeStep(
    _ problem: GramLasso.Problem, samples: Int, cross: UnsafePointer<Double>, squaredNorms norms: UnsafePointer<Double>,
    code: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>, threads: Int
  ) {
    let k = problem.atoms
    parallelFor(samples, grain: max(1, 2048 / (k * k)), threads: threads) { range in
      // One buffer per chunk of samples (a few per coding step), not per sample.
      let factor = UnsafeMutablePointer<Double>.allocate(capacity: GramLasso.scratchCount(atoms: k))
      defer { factor.deallocate() }
      for i in range {
        if Cancellation.isRequested { return }  // the caller's next check reports it
        _ = GramLasso.solve(
          problem, c: cross + i * k, squaredNorm: norms[i], u: code + i * k, g: scratch + i * k, scratch: factor)
      }
    }
  }

  /// Rejects empty or oversized problems.
  static func checkShape(samples n: Int, features p: Int, atoms k: Int) throws(LossLensError) {
    guard n > 0, p > 0 else { throw .invalid("X must not be empty (got shape (\(n), \(p)))") }
    guard k > 0 else { throw .invalid("n_components must be >= 1 (got \(k))") }
    let (np, o1) = n.multipliedReportingOverflow(by: p)
    let (kp, o2) = k.multipliedReportingOverflow(by: p)
    let (nk, o3) = n.multipliedReportingOverflow(by: k)
    guard !o1, !o2, !o3, np < Int.max / 16, kp < Int.max / 16, nk < Int.max / 16 else {
      throw .invalid("problem of shape (\(n), \(p)) with \(k) atoms is too large")
    }
  }

  /// Rejects invalid Lasso parameters.
  static func checkCoding(alpha: Double, maxSweeps: Int, tol: Double) throws(LossLensError) {
    guard alpha >= 0, alpha.isFinite else { throw .invalid("alpha must be a finite number >= 0 (got \(alpha))") }
    guard maxSweeps >= 0 else { throw .invalid("max_iter of the coding step must be >= 0 (got \(maxSweeps))") }
    guard tol >= 0, tol.isFinite else { throw .invalid("tol must be a finite number >= 0 (got \(tol))") }
  }
}
