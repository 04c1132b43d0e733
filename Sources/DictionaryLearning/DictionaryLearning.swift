import LossLensCore

/// Sparse dictionary learning by alternating minimisation of
/// `0.5 ‖X − U V‖²_F + alpha ‖U‖₁,₁` over the code U (n×K) and the dictionary V (K×p), each atom
/// (row of V) constrained by an `AtomConstraint`: the algorithm of scikit-learn's
/// `DictionaryLearning(fit_algorithm="cd")`, with the same iteration, cost and stopping rule.
///
/// One iteration codes every sample against V (Gram Lasso, `SparseCoding`), then sweeps the
/// atoms once (`DictionaryUpdate`), then evaluates the cost from `C = X Vᵀ` and `G = V Vᵀ`, which
/// the next coding step reuses: two products with X per iteration, both in BLAS.
public enum DictionaryLearning {
  /// Settings of one run.
  public struct Options: Sendable {
    /// L1 weight of the code.
    public var alpha: Double
    /// Iterations to run in this call.
    public var maxIter: Int
    /// Stop once the cost decreased by less than `tol` times the cost.
    public var tol: Double
    /// Coordinate-descent sweeps and tolerance of each sample's Lasso.
    public var codeMaxSweeps: Int, codeTol: Double
    /// The atoms' constraint.
    public var constraint: AtomConstraint
    /// Non-negative codes / non-negative atoms.
    public var positiveCode: Bool, positiveDict: Bool
    /// Seed of the generator that redraws unused atoms.
    public var seed: UInt64

    /// Creates run settings.
    public init(
      alpha: Double, maxIter: Int, tol: Double, codeMaxSweeps: Int = 1000, codeTol: Double = 1e-8,
      constraint: AtomConstraint = .unitNorm, positiveCode: Bool = false, positiveDict: Bool = false,
      seed: UInt64 = 0
    ) {
      self.alpha = alpha
      self.maxIter = maxIter
      self.tol = tol
      self.codeMaxSweeps = codeMaxSweeps
      self.codeTol = codeTol
      self.constraint = constraint
      self.positiveCode = positiveCode
      self.positiveDict = positiveDict
      self.seed = seed
    }
  }

  /// What a run did.
  public struct Outcome: Sendable, Equatable {
    /// Iterations run; `errors[0..<iterations]` holds their costs.
    public var iterations: Int
    /// `true` when the stopping rule fired (rather than the iteration budget running out).
    public var converged: Bool
  }

  /// Runs up to `options.maxIter` iterations from `dictionary` (K×p) and `code` (n×K), updating
  /// both in place and writing the cost after each iteration to `errors`.
  ///
  /// `previousCost` is the cost before this call (NaN if none) so that a fit split into several
  /// calls (to run a Python callback in between) stops exactly as one call would.
  /// - Complexity: O(n·p·K + K²·p + n·K²·s) per iteration (s: coordinate sweeps per sample).
  public static func fit<T: LossLensReal>(
    x: UnsafePointer<T>, samples n: Int, features p: Int,
    dictionary: UnsafeMutablePointer<T>, code: UnsafeMutablePointer<T>, atoms k: Int,
    options: Options, previousCost: Double, errors: UnsafeMutablePointer<Double>, threads: Int
  ) throws(LossLensError) -> Outcome {
    try SparseCoding.checkShape(samples: n, features: p, atoms: k)
    try SparseCoding.checkCoding(alpha: options.alpha, maxSweeps: options.codeMaxSweeps, tol: options.codeTol)
    guard options.maxIter >= 0 else { throw .invalid("max_iter must be >= 0 (got \(options.maxIter))") }
    guard options.tol >= 0, options.tol.isFinite else { throw .invalid("tol must be a finite number >= 0") }
    guard Matrix.allFinite(x, count: n * p) else { throw .invalid("X contains NaN or infinity") }
    guard Matrix.allFinite(UnsafePointer(dictionary), count: k * p) else {
      throw .invalid("dict_init contains NaN or infinity")
    }
    guard Matrix.allFinite(UnsafePointer(code), count: n * k) else { throw .invalid("code_init contains NaN or infinity") }

    let work = Workspace<T>(samples: n, features: p, atoms: k)
    work.computeSquaredNorms(x: x)
    var totalSquared = 0.0
    for i in 0..<n { totalSquared += work.squaredNorms[i] }
    for i in 0..<(n * k) { work.code[i] = Double(code[i]) }
    work.refreshCross(x: x, dictionary: dictionary, threads: threads)
    let problem = GramLasso.Problem(
      gram: work.gram, atoms: k, alpha: options.alpha, positive: options.positiveCode,
      maxSweeps: options.codeMaxSweeps, tol: options.codeTol)
    var random = Xoshiro256(seed: options.seed)
    var previous = previousCost
    var outcome = Outcome(iterations: 0, converged: false)
    defer { for i in 0..<(n * k) { code[i] = T(work.code[i]) } }

    for iteration in 0..<options.maxIter {
      try Cancellation.check()
      SparseCoding.codeStep(problem, work, threads: threads)
      try Cancellation.check()
      work.refreshUsage()
      work.mirrorCode()
      work.refreshTarget(x: x, threads: threads)
      let redrawn = DictionaryUpdate.sweep(
        work, x: x, dictionary: dictionary, constraint: options.constraint,
        positive: options.positiveDict, random: &random, threads: threads)
      if redrawn > 0 { work.refreshUsage() }
      work.refreshCross(x: x, dictionary: dictionary, threads: threads)
      let current = cost(work, totalSquared: totalSquared, alpha: options.alpha)
      errors[iteration] = current
      outcome.iterations = iteration + 1
      if !previous.isNaN, previous - current < options.tol * current {
        outcome.converged = true
        break
      }
      previous = current
    }
    return outcome
  }

  /// `0.5 ‖X − UV‖²_F + alpha ‖U‖₁,₁` from `‖X‖²_F`, `C = X Vᵀ`, `A = UᵀU` and `G = V Vᵀ`:
  /// `‖X − UV‖² = ‖X‖² − 2⟨U, C⟩ + ⟨A, G⟩`.
  ///
  /// - Complexity: O(n·K + K²).
  static func cost<T>(_ work: Workspace<T>, totalSquared: Double, alpha: Double) -> Double {
    let nk = work.samples * work.atoms, kk = work.atoms * work.atoms
    var fit = 0.0, l1 = 0.0, quadratic = 0.0
    for i in 0..<nk {
      fit += work.code[i] * work.cross[i]
      l1 += Swift.abs(work.code[i])
    }
    for i in 0..<kk { quadratic += work.usage[i] * work.gram[i] }
    return 0.5 * Swift.max(totalSquared - 2 * fit + quadratic, 0) + alpha * l1
  }
}
