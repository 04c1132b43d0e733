import LossLensCore

/// Sparse dictionary learning by alternating minimisation of
/// `0.5 ‖X − U V‖²_F + alpha ‖U‖₁,₁` over the code U (n×K) and the dictionary V (K×p), each atom
/// (row of V) constrained by an `AtomConstraint`: the algorithm of scikit-learn's
/// `DictionaryLearning(fit_algorithm="cd")`, with the same iteration, cost and stopping rule.
///
/// One iteration codes every sample against V (Gram Lasso, `SparseCoding`), then sweeps the
/// atoms once (`DictionaryUpdate`), then evaluates the cost from `C = X Vᵀ` and `G = V Vᵀ`, which
/// the next coding step reuses. `B = Uᵀ X` streams X; `C` does too, or follows from the sweep in
/// n-space (`ImplicitCross`) when X has far more features than samples.
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
  /// With `extrapolation`, each iteration keeps the cheaper of the sweep and an extrapolated
  /// dictionary (`ExtrapolationState`): the same objective in fewer iterations.
  ///
  /// `dataGram` (n×n), when given, is `X Xᵀ`, which the implicit cross route would otherwise form.
  ///
  /// `previousCost` is the cost before this call (NaN if none) so that a fit split into several
  /// calls (to run a Python callback in between) stops exactly as one call would.
  /// - Complexity: O(n·p·K + K²·p + n·K²·s) per iteration (s: coordinate sweeps per sample).
  public static func fit<T: LossLensReal>(
    x: UnsafePointer<T>, samples n: Int, features p: Int,
    dictionary: UnsafeMutablePointer<T>, code: UnsafeMutablePointer<T>, atoms k: Int,
    options: Options, previousCost: Double, errors: UnsafeMutablePointer<Double>, threads: Int,
    extrapolation: ExtrapolationState<T>? = nil, dataGram: UnsafePointer<Double>? = nil
  ) throws(LossLensError) -> Outcome {
    try SparseCoding.checkShape(samples: n, features: p, atoms: k)
    try SparseCoding.checkCoding(alpha: options.alpha, maxSweeps: options.codeMaxSweeps, tol: options.codeTol)
    guard options.maxIter >= 0 else { throw .invalid("max_iter must be >= 0 (got \(options.maxIter))") }
    guard options.tol >= 0, options.tol.isFinite else { throw .invalid("tol must be a finite number >= 0") }
    let work = Workspace<T>(samples: n, features: p, atoms: k)
    // Finite squared norms mean finite entries; otherwise the exact scan decides the message.
    if !work.computeSquaredNorms(x: x, threads: threads), !Matrix.allFinite(x, count: n * p) {
      throw .invalid("X contains NaN or infinity")
    }
    guard Matrix.allFinite(UnsafePointer(dictionary), count: k * p) else {
      throw .invalid("dict_init contains NaN or infinity")
    }
    guard Matrix.allFinite(UnsafePointer(code), count: n * k) else { throw .invalid("code_init contains NaN or infinity") }

    var totalSquared = 0.0
    for i in 0..<n { totalSquared += work.squaredNorms[i] }
    for i in 0..<(n * k) { work.code[i] = Double(code[i]) }
    work.refreshCross(x: x, dictionary: dictionary, threads: threads)
    let implicit = implicitCross(x: x, work: work, maxIter: options.maxIter, dataGram: dataGram, threads: threads)
    let problem = GramLasso.Problem(
      gram: work.gram, atoms: k, alpha: options.alpha, positive: options.positiveCode,
      maxSweeps: options.codeMaxSweeps, tol: options.codeTol)
    var random = Xoshiro256(seed: options.seed)
    defer { for i in 0..<(n * k) { code[i] = T(work.code[i]) } }
    if let extrapolation {
      return try runExtrapolated(
        work, x: x, dictionary: dictionary, options: options, problem: problem, implicit: implicit,
        random: &random, state: extrapolation, totalSquared: totalSquared, previousCost: previousCost,
        errors: errors, threads: threads)
    }
    var previous = previousCost
    var outcome = Outcome(iterations: 0, converged: false)

    for iteration in 0..<options.maxIter {
      try Cancellation.check()
      SparseCoding.codeStep(problem, work, threads: threads)
      try Cancellation.check()
      work.refreshUsage()
      work.mirrorCode()
      work.refreshTarget(x: x, threads: threads)
      let redrawn = DictionaryUpdate.sweep(
        work, x: x, dictionary: dictionary, constraint: options.constraint,
        positive: options.positiveDict, implicit: implicit, random: &random, threads: threads)
      if redrawn > 0 { work.refreshUsage() }
      refreshCross(work, x: x, dictionary: dictionary, implicit: implicit, iteration: iteration, threads: threads)
      let current = cost(work, totalSquared: totalSquared, alpha: options.alpha)
      if stops(after: iteration, cost: current, tol: options.tol, errors: errors, previous: &previous,
               outcome: &outcome) { break }
    }
    return outcome
  }

  /// Records iteration `iteration`'s cost in `errors` and `outcome`, and applies the stopping
  /// rule: true when the cost fell by less than `tol` times itself since `previous`.
  static func stops(
    after iteration: Int, cost current: Double, tol: Double, errors: UnsafeMutablePointer<Double>,
    previous: inout Double, outcome: inout Outcome
  ) -> Bool {
    errors[iteration] = current
    outcome.iterations = iteration + 1
    if !previous.isNaN, previous - current < tol * current {
      outcome.converged = true
      return true
    }
    previous = current
    return false
  }

  /// Iterations between exact recomputations of `C = X Vᵀ` on the implicit route, which bound
  /// the rounding its updates accumulate.
  static let exactCrossEvery = 32

  /// An `ImplicitCross` for `x` when it pays for `maxIter` iterations, else nil.
  static func implicitCross<T>(
    x: UnsafePointer<T>, work: Workspace<T>, maxIter: Int, dataGram: UnsafePointer<Double>?, threads: Int
  ) -> ImplicitCross? {
    guard ImplicitCross.pays(samples: work.samples, features: work.features, atoms: work.atoms, maxIter: maxIter,
                             isDouble: T.self == Double.self) else { return nil }
    return ImplicitCross(x: UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), samples: work.samples,
                         features: work.features, atoms: work.atoms, stripes: work.stripes, dataGram: dataGram,
                         threads: threads)
  }

  /// Brings `C = X Vᵀ` and `G = V Vᵀ` up to date after a sweep: from `implicit` when there is one
  /// (exactly every `exactCrossEvery` iterations), else by streaming X.
  static func refreshCross<T>(
    _ work: Workspace<T>, x: UnsafePointer<T>, dictionary: UnsafePointer<T>, implicit: ImplicitCross?,
    iteration: Int, threads: Int
  ) {
    if let implicit, (iteration + 1) % exactCrossEvery != 0 {
      implicit.finish(x: UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), into: work.cross, threads: threads)
      work.refreshGram(dictionary: dictionary, threads: threads)
    } else {
      work.refreshCross(x: x, dictionary: dictionary, threads: threads)
    }
  }

  /// `0.5 ‖X − UV‖²_F + alpha ‖U‖₁,₁` from `‖X‖²_F`, `C = X Vᵀ`, `A = UᵀU` and `G = V Vᵀ`:
  /// `‖X − UV‖² = ‖X‖² − 2⟨U, C⟩ + ⟨A, G⟩`.
  ///
  /// - Complexity: O(n·K + K²).
  static func cost<T>(_ work: Workspace<T>, totalSquared: Double, alpha: Double) -> Double {
    cost(code: work.code, cross: work.cross, usage: work.usage, gram: work.gram, samples: work.samples,
         atoms: work.atoms, totalSquared: totalSquared, alpha: alpha)
  }

  /// The cost from plain buffers: `code` and `cross` n×K, `usage` and `gram` K×K.
  static func cost(
    code: UnsafePointer<Double>, cross: UnsafePointer<Double>, usage: UnsafePointer<Double>,
    gram: UnsafePointer<Double>, samples n: Int, atoms k: Int, totalSquared: Double, alpha: Double
  ) -> Double {
    var fit = 0.0, l1 = 0.0, quadratic = 0.0
    for i in 0..<(n * k) {
      fit += code[i] * cross[i]
      l1 += Swift.abs(code[i])
    }
    for i in 0..<(k * k) { quadratic += usage[i] * gram[i] }
    return 0.5 * Swift.max(totalSquared - 2 * fit + quadratic, 0) + alpha * l1
  }
}
