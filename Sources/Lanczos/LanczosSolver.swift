import LossLensCore
import _COpenBLAS

/// Thick-restart Lanczos with full reorthogonalisation, driven by reverse communication.
///
/// The solver never sees the operator: each `step` hands back the product the caller computed for
/// the previous request and receives the next vector to multiply. It therefore runs the same way
/// on a dense matrix (`solveDense`) and on a Hessian-vector product computed in Python, and keeps
/// no pointer to caller memory between calls (everything it needs is copied in).
///
/// Algorithm (K. Wu and H. Simon, "Thick-restart Lanczos method for large symmetric eigenvalue
/// problems", SIAM J. Matrix Anal. Appl. 22(2), 2000; in the Krylov–Schur form of G. W. Stewart,
/// SIAM J. Matrix Anal. Appl. 23(3), 2001):
/// - the basis `V = [v₀ … v_{m−1}]` and residual vector `v_m` satisfy `A V = V T + β v_m e_mᵀ`, with
///   `T = Vᵀ A V` symmetric (tridiagonal plus an arrow after a restart) (Lanczos [Krylov relation]);
/// - every new product is orthogonalised against all of `V` by classical Gram–Schmidt with one
///   DGKS correction pass (full reorthogonalisation); the coefficients fill `T`'s new column;
/// - after every product the Ritz pairs of `T` are computed and pair `i` is converged when its
///   residual `β |s_{m−1,i}|` is at most `tol · max(|θᵢ|, ε^{2/3} maxⱼ|θⱼ|)` (Lanczos [convergence test], ARPACK's, but
///   checked at every step rather than once per restart, which saves operator calls);
/// - when the basis is full, the wanted Ritz vectors plus as many others as have converged (ARPACK's
///   rule, see `restart`) are kept, `v_m` becomes the next basis vector and `T` becomes `diag(θ)` bordered by `β s_{m−1}`;
/// - a breakdown (`β ≈ 0`: an invariant subspace) continues from a random vector orthogonal to
///   everything so far.
///
/// Deflation: with an orthonormal `B` (rows of `deflation`), every product is projected by
/// `I − BBᵀ` and every basis vector is kept orthogonal to `B`, so the run sees the operator
/// `(I − BBᵀ) A (I − BBᵀ)` restricted to the complement of `span(B)` (POLCA Algorithm 1; Lanczos [deflation]). Its
/// zero eigenvalues on `span(B)` are never returned.
public final class LanczosSolver {
  /// Length of the vectors the operator acts on.
  public let dimension: Int
  let options: LanczosOptions
  let tolerance: Double
  let subspace: Int
  let freeDimension: Int
  let deflationCount: Int
  /// (subspace + 1) × dimension, row j is basis vector j; row `subspace` holds the residual vector.
  let basis: UnsafeMutablePointer<Double>
  /// deflationCount × dimension, orthonormal rows.
  let deflation: UnsafeMutablePointer<Double>
  let work: UnsafeMutablePointer<Double>
  /// subspace × subspace, row-major symmetric projected matrix T.
  var projected: [Double]
  var size = 0
  var beta = 0.0
  var pending: Int? = nil
  var finished = false
  /// `true` once `step` has returned `.done`.
  public var isFinished: Bool { finished }
  var rng: Xoshiro256
  var ritzValues: [Double] = []
  /// size × size, row i is the eigenvector of `ritzValues[i]` in the basis V.
  var ritzVectors: [Double] = []
  var order: [Int] = []

  /// Operator applications requested so far.
  public private(set) var operatorCalls = 0
  /// Restarts performed so far.
  public private(set) var restarts = 0
  /// Eigenvalues of the result, wanted first (valid once `step` returned `.done`).
  public private(set) var values: [Double] = []
  /// Eigenvectors of the result, `count × dimension`, row i for `values[i]`.
  public private(set) var vectors: [Double] = []
  /// Residual norms ‖A y − θ y‖ of the result (Ritz estimates, exact in exact arithmetic).
  public private(set) var residuals: [Double] = []
  /// Number of leading result pairs that met the tolerance.
  public private(set) var convergedCount = 0

  /// Creates a solver.
  ///
  /// - Parameters:
  ///   - dimension: length `n` of the operator's vectors.
  ///   - options: count, target, tolerance, restarts, subspace size and seed.
  ///   - start: optional start vector of length `n` (copied).
  ///   - deflation: optional `p × n` row-major matrix with orthonormal rows (copied).
  ///   - deflationCount: `p`.
  /// - Complexity: O((m + p) n) memory; O(p² n) to check that the deflation rows are orthonormal.
  public init(
    dimension n: Int, options: LanczosOptions, start: UnsafePointer<Double>?,
    deflation b: UnsafePointer<Double>?, deflationCount p: Int
  ) throws(LossLensError) {
    guard n >= 1 else { throw .invalid("the operator dimension must be >= 1 (got \(n))") }
    guard p >= 0, p < n else { throw .invalid("deflate must have fewer columns than rows (got \(p) for n = \(n))") }
    let free = n - p
    guard options.count >= 1, options.count <= free else {
      throw .invalid("k must be in [1, \(free)] (n minus the deflated columns), got \(options.count)")
    }
    guard options.tolerance >= 0, options.tolerance.isFinite else {
      throw .invalid("tol must be a finite number >= 0 (got \(options.tolerance))")
    }
    guard options.maxRestarts >= 1 else { throw .invalid("max_iter must be >= 1 (got \(options.maxRestarts))") }
    var m = options.subspaceSize
    if m == 0 { m = min(max(2 * options.count + 1, 20), free) }
    guard m <= free, m > options.count || m == free else {
      throw .invalid("ncv must satisfy k < ncv <= \(free) (got \(m) for k = \(options.count))")
    }
    if p > 0 {
      guard let b else { throw .invalid("deflate must not be NULL when p > 0") }
      guard Matrix.allFinite(b, count: p * n) else { throw .invalid("deflate contains NaN or infinity") }
      var gram = [Double](repeating: 0, count: p * p)
      Double.syrk(trans: false, n: p, k: n, alpha: 1, a: b, lda: n, beta: 0, c: &gram, ldc: p)
      for i in 0..<p {
        for j in 0..<p where abs(gram[i * p + j] - (i == j ? 1 : 0)) > 1e-8 {
          throw .invalid("deflate must have orthonormal columns (|BᵀB − I| = \(abs(gram[i * p + j] - (i == j ? 1 : 0))) at (\(i), \(j)))")
        }
      }
    }
    if let start, !Matrix.allFinite(start, count: n) { throw .invalid("v0 contains NaN or infinity") }

    dimension = n
    self.options = options
    tolerance = max(options.tolerance, Double.ulpOfOne)
    subspace = m
    freeDimension = free
    deflationCount = p
    basis = .allocate(capacity: (m + 1) * n)
    deflation = .allocate(capacity: max(1, p * n))
    work = .allocate(capacity: n)
    projected = [Double](repeating: 0, count: m * m)
    rng = Xoshiro256(seed: options.seed)
    if let b, p > 0 { deflation.update(from: b, count: p * n) }
    try initialVector(start)
  }

  deinit {
    basis.deallocate()
    deflation.deallocate()
    work.deallocate()
  }

  /// Advances the run.
  ///
  /// - Parameters:
  ///   - product: `A x` for the `x` of the previous `.applyOperator` request (ignored on the first call).
  ///   - request: buffer of length `dimension` that receives the next `x`.
  /// - Returns: `.applyOperator` when `request` holds a vector to multiply, `.done` when the result is ready.
  /// - Complexity: O(m n) per step for reorthogonalisation plus O(m³) for the Ritz pairs; a restart adds O(m² n).
  public func step(
    product: UnsafePointer<Double>?, request: UnsafeMutablePointer<Double>
  ) throws(LossLensError) -> LanczosRequest {
    if finished { return .done }
    // Steps are small level-2 BLAS work between callbacks: one BLAS thread avoids fighting the
    // thread pool of the caller's own BLAS (e.g. NumPy's) that computes the products.
    let savedThreads = openblas_get_num_threads()
    openblas_set_num_threads(1)
    defer { openblas_set_num_threads(savedThreads) }
    if let column = pending {
      guard let product else { throw .invalid("the product of the requested vector must be given") }
      guard Matrix.allFinite(product, count: dimension) else { throw .invalid("the operator returned NaN or infinity") }
      pending = nil
      let brokeDown = try absorb(product, column: column)
      let exhausted = size == freeDimension || size == subspace
      if !brokeDown || exhausted {
        try computeRitzPairs()
        if isConverged() {
          finish()
          return .done
        }
      }
      if size == subspace {
        if restarts >= options.maxRestarts {
          finish()
          return .done
        }
        try restart()
      } else if brokeDown {
        try freshVector(at: size)
      }
    }
    request.update(from: basis + size * dimension, count: dimension)
    pending = size
    operatorCalls += 1
    return .applyOperator
  }

  // MARK: - Basis

  /// Unit start vector in the complement of the deflation space.
  private func initialVector(_ start: UnsafePointer<Double>?) throws(LossLensError) {
    guard let start else { return try freshVector(at: 0) }
    let v = basis
    v.update(from: start, count: dimension)
    let before = norm(v)
    guard before > 0 else { throw .invalid("v0 must not be the zero vector") }
    _ = orthogonalize(v, against: 0)
    let after = norm(v)
    guard after > 1e-10 * before else { throw .invalid("v0 lies in the span of deflate") }
    scale(v, by: 1 / after)
  }

  /// A random unit vector orthogonal to the deflation space and to basis rows `0..<row`, stored at `row`.
  private func freshVector(at row: Int) throws(LossLensError) {
    let v = basis + row * dimension
    for _ in 0..<8 {
      for i in 0..<dimension { v[i] = rng.nextGaussian() }
      let before = norm(v)
      _ = orthogonalize(v, against: row)
      _ = orthogonalize(v, against: row)
      let after = norm(v)
      if after > 1e-8 * before {
        scale(v, by: 1 / after)
        return
      }
    }
    throw LossLensError(.numericalFailure, "could not extend the Krylov basis with a random vector")
  }

  /// Orthogonalises `w` against the deflation rows and basis rows `0..<count` (one classical
  /// Gram–Schmidt pass plus a DGKS correction when the norm dropped below 1/√2 of its value).
  /// Returns the coefficients on the basis rows and whether `w` is numerically in their span.
  private func orthogonalize(_ w: UnsafeMutablePointer<Double>, against count: Int) -> (coefficients: [Double], inSpan: Bool) {
    var coefficients = [Double](repeating: 0, count: count)
    var previous = norm(w)
    for pass in 0..<2 {
      project(w, rows: deflation, count: deflationCount, accumulate: nil)
      project(w, rows: basis, count: count, accumulate: &coefficients)
      let current = norm(w)
      if current >= 0.7071 * previous { return (coefficients, current == 0) }
      if pass == 1 { return (coefficients, true) }
      previous = current
    }
    return (coefficients, true)
  }

  /// `w ← w − Rᵀ (R w)` for the `count` rows `R`; adds `R w` to `accumulate`.
  private func project(
    _ w: UnsafeMutablePointer<Double>, rows: UnsafeMutablePointer<Double>, count: Int,
    accumulate: UnsafeMutablePointer<Double>?
  ) {
    guard count > 0 else { return }
    var c = [Double](repeating: 0, count: count)
    Double.gemv(trans: false, m: count, n: dimension, alpha: 1, a: rows, lda: dimension, x: w, incx: 1, beta: 0, y: &c, incy: 1)
    Double.gemv(trans: true, m: count, n: dimension, alpha: -1, a: rows, lda: dimension, x: c, incx: 1, beta: 1, y: w, incy: 1)
    if let accumulate { for i in 0..<count { accumulate[i] += c[i] } }
  }

  /// Takes `A v_column`, fills column `column` of T and the next basis vector. Returns `true` on breakdown.
  private func absorb(_ product: UnsafePointer<Double>, column: Int) throws(LossLensError) -> Bool {
    work.update(from: product, count: dimension)
    let (h, inSpan) = orthogonalize(work, against: column + 1)
    for i in 0...column {
      projected[i * subspace + column] = h[i]
      projected[column * subspace + i] = h[i]
    }
    size = column + 1
    let residual = norm(work)
    if inSpan || size == freeDimension || residual == 0 {
      beta = 0
      return true
    }
    beta = residual
    let next = basis + size * dimension
    for i in 0..<dimension { next[i] = work[i] / residual }
    return false
  }

  // MARK: - Ritz pairs, convergence, restart

  /// Eigenpairs of the leading `size × size` block of T and the wanted-first order.
  private func computeRitzPairs() throws(LossLensError) {
    var block = [Double](repeating: 0, count: size * size)
    for i in 0..<size {
      for j in 0..<size { block[i * size + j] = projected[i * subspace + j] }
    }
    ritzValues = try block.withUnsafeMutableBufferPointer { buffer throws(LossLensError) in
      try SymmetricEigen.decompose(buffer.baseAddress!, n: size)
    }
    ritzVectors = block
    let target = options.target
    order = Array(0..<size).sorted { target.key(ritzValues[$0]) < target.key(ritzValues[$1]) }
  }

  /// ε^{2/3}, ARPACK's floor of the convergence test.
  static let epsilonTwoThirds = pow(Double.ulpOfOne, 2.0 / 3.0)

  /// Residual estimate β |s_{size−1, i}| of Ritz pair `i`.
  private func residual(_ i: Int) -> Double { beta * abs(ritzVectors[i * size + size - 1]) }

  /// ARPACK's convergence test on one Ritz pair.
  private func isConverged(_ i: Int) -> Bool {
    let scale = ritzValues.reduce(0) { max($0, abs($1)) }
    return residual(i) <= tolerance * max(abs(ritzValues[i]), LanczosSolver.epsilonTwoThirds * scale)
  }

  /// `true` when the `count` wanted Ritz pairs all pass the test.
  private func isConverged() -> Bool {
    guard size >= options.count else { return false }
    for i in order.prefix(options.count) where !isConverged(i) { return false }
    return true
  }

  /// Keeps the wanted Ritz vectors plus half of the others as the new basis (thick restart).
  private func restart() throws(LossLensError) {
    try Cancellation.check()
    restarts += 1
    let k = options.count
    // ARPACK's rule (dsaup2): keep the wanted pairs plus as many as have converged, at most half
    // of the rest; a single wanted pair keeps half the basis. With exact shifts, implicit restart
    // and thick restart keep the same subspace, so the only difference from ARPACK is that
    // convergence is tested after every product instead of once per restart.
    let converged = order.prefix(k).filter { isConverged($0) }.count
    var keep = k + min(converged, (subspace - k) / 2)
    if keep == 1 && subspace >= 6 {
      keep = subspace / 2
    } else if keep == 1 && subspace > 2 {
      keep = 2
    }
    keep = min(keep, subspace - 1)
    let chosen = Array(order.prefix(keep))
    var coefficients = [Double](repeating: 0, count: keep * size)
    for (r, i) in chosen.enumerated() {
      for j in 0..<size { coefficients[r * size + j] = ritzVectors[i * size + j] }
    }
    let kept = UnsafeMutablePointer<Double>.allocate(capacity: keep * dimension)
    defer { kept.deallocate() }
    Double.gemm(
      transA: false, transB: false, m: keep, n: dimension, k: size, alpha: 1, a: coefficients, lda: size,
      b: basis, ldb: dimension, beta: 0, c: kept, ldc: dimension)
    (basis + keep * dimension).update(from: basis + size * dimension, count: dimension)
    basis.update(from: kept, count: keep * dimension)
    for i in 0..<projected.count { projected[i] = 0 }
    for (r, i) in chosen.enumerated() {
      projected[r * subspace + r] = ritzValues[i]
      let coupling = beta * ritzVectors[i * size + size - 1]
      projected[r * subspace + keep] = coupling
      projected[keep * subspace + r] = coupling
    }
    size = keep
  }

  /// Stores the wanted Ritz pairs as the result.
  private func finish() {
    finished = true
    let k = options.count
    let chosen = Array(order.prefix(k))
    values = chosen.map { ritzValues[$0] }
    residuals = chosen.map { residual($0) }
    convergedCount = 0
    for i in chosen {
      guard isConverged(i) else { break }
      convergedCount += 1
    }
    var coefficients = [Double](repeating: 0, count: k * size)
    for (r, i) in chosen.enumerated() {
      for j in 0..<size { coefficients[r * size + j] = ritzVectors[i * size + j] }
    }
    vectors = [Double](repeating: 0, count: k * dimension)
    Double.gemm(
      transA: false, transB: false, m: k, n: dimension, k: size, alpha: 1, a: coefficients, lda: size,
      b: basis, ldb: dimension, beta: 0, c: &vectors, ldc: dimension)
  }

  // MARK: - Level-1 helpers

  private func norm(_ v: UnsafePointer<Double>) -> Double {
    Double.dot(n: dimension, x: v, incx: 1, y: v, incy: 1).squareRoot()
  }

  private func scale(_ v: UnsafeMutablePointer<Double>, by factor: Double) {
    for i in 0..<dimension { v[i] *= factor }
  }
}
