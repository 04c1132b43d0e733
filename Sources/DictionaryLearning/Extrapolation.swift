import LossLensCore

/// Extrapolated alternating minimisation, after Ang & Gillis ("Accelerating nonnegative matrix
/// factorization algorithms using extrapolation", Neural Computation 31, 2019).
///
/// Plain alternating minimisation walks slowly along the valley of the cost. After each sweep W,
/// the extrapolated point `Ŵ = P(W + β (W − W_prev))` (P: the atoms' projection) is coded as well,
/// and whichever of W and Ŵ costs less is kept, so the cost never rises above that of the plain
/// step. β grows by `growth` (at most to its cap) after Ŵ wins; after Ŵ loses, the failed β
/// becomes the cap and β shrinks by `decay`. The cap itself creeps up by `capGrowth` to at most 1.
///
/// The state lives in caller-owned buffers so that a fit split into several calls continues
/// exactly where it stopped.
public struct ExtrapolationState<T: LossLensReal> {
  /// `[β, cap, hasPrevious]`, then `C_prev = X W_prevᵀ` (n×K): `3 + n·K` values; a fit starts
  /// from `[0.5, 1, 0]`.
  public var scalars: UnsafeMutablePointer<Double>
  /// The previous sweep's dictionary `W_prev` (K×p).
  public var previousSweep: UnsafeMutablePointer<T>

  /// Wraps the two buffers.
  public init(scalars: UnsafeMutablePointer<Double>, previousSweep: UnsafeMutablePointer<T>) {
    self.scalars = scalars
    self.previousSweep = previousSweep
  }

  /// β's growth after Ŵ wins, the cap's growth, and β's decay after Ŵ loses (Ang & Gillis' values).
  static var growth: Double { 1.05 }
  static var capGrowth: Double { 1.01 }
  static var decay: Double { 1.5 }

  var beta: Double {
    get { scalars[0] }
    nonmutating set { scalars[0] = newValue }
  }
  var cap: Double {
    get { scalars[1] }
    nonmutating set { scalars[1] = newValue }
  }
  var hasPrevious: Bool {
    get { scalars[2] != 0 }
    nonmutating set { scalars[2] = newValue ? 1 : 0 }
  }
  var previousCross: UnsafeMutablePointer<Double> { scalars + 3 }

  /// Adapts β to the outcome of the last extrapolation.
  func record(success: Bool) {
    if success {
      beta = Swift.min(cap, beta * Self.growth)
      cap = Swift.min(1, cap * Self.capGrowth)
    } else {
      cap = beta
      beta /= Self.decay
    }
  }
}

/// The extrapolated point of one iteration with its statistics, in buffers allocated once per run.
final class ExtrapolatedPoint<T: LossLensReal> {
  /// A third dictionary buffer (K×p): the run rotates the current, previous and extrapolated
  /// dictionaries among it, the caller's dictionary and the state's previous sweep.
  let spare: UnsafeMutablePointer<T>
  /// `C = X Ŵᵀ` (n×K), `G = Ŵ Ŵᵀ` (K×K), the code of every sample against `Ŵ` (n×K) and its
  /// `A = UᵀU` (K×K).

  let cross: UnsafeMutablePointer<Double>, gram: UnsafeMutablePointer<Double>
  let code: UnsafeMutablePointer<Double>, usage: UnsafeMutablePointer<Double>

  init(samples n: Int, features p: Int, atoms k: Int) {
    spare = .allocate(capacity: k * p)
    cross = .allocate(capacity: n * k)
    gram = .allocate(capacity: k * k)
    code = .allocate(capacity: n * k)
    usage = .allocate(capacity: k * k)
  }

  deinit {
    spare.deallocate()
    for buffer in [cross, gram, code, usage] { buffer.deallocate() }
  }

  /// Writes `Ŵ = P(W + β (W − W_prev))` to `dictionary` atom by atom, and its cross and Gram
  /// matrices: from `implicit` and the two sweeps' crosses when there is one, else by streaming X.
  ///
  /// - Complexity: O(K·p) plus the gathers (implicit) or O(n·p·K) (streamed).
  func extrapolate(
    _ work: Workspace<T>, x: UnsafePointer<T>, sweep w: UnsafePointer<T>, previous old: UnsafePointer<T>,
    state: ExtrapolationState<T>, into dictionary: UnsafeMutablePointer<T>, constraint: AtomConstraint,
    positive: Bool, implicit: ImplicitCross?, threads: Int
  ) {
    let p = work.features, k = work.atoms, atom = work.atom, stripes = work.stripes
    let beta = state.beta
    implicit?.begin(from: work.cross)
    for a in 0..<k {
      implicit?.setExtrapolatedPreimage(atom: a, current: work.cross, old: state.previousCross, beta: beta)
      let current = w + a * p, previous = old + a * p
      parallelFor(stripes.count, threads: threads) { range in
        for s in range {
          for f in stripes.range(s) {
            atom[f] = Double(current[f]) + beta * (Double(current[f]) - Double(previous[f]))
          }
          if constraint == .unitNorm { AtomProjection.measure(work, stripe: s, positive: positive) }
        }
      }
      AtomProjection.project(work, into: dictionary + a * p, atom: a, constraint: constraint, positive: positive,
                             implicit: implicit, threads: threads)
    }
    if let implicit {
      implicit.finish(x: UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), into: cross, threads: threads)
      work.stripes.atomGram(dictionary: dictionary, atoms: k, partialGram: work.partialGram, gram: gram,
                            threads: threads)
    } else {
      work.stripes.dataTimesAtoms(
        x: x, dictionary: dictionary, samples: work.samples, atoms: k, partialCross: work.partialCross,
        partialGram: work.partialGram, cross: cross, gram: gram, threads: threads)
    }
  }
}

extension DictionaryLearning {
  /// The iterations of `fit` with extrapolation: sweep, code the sweep W, code the extrapolated
  /// point Ŵ, keep the cheaper. `errors` receives the kept point's cost, `0.5 ‖X − UV‖² + alpha ‖U‖₁`
  /// with U the code of the kept V.
  static func runExtrapolated<T: LossLensReal>(
    _ work: Workspace<T>, x: UnsafePointer<T>, dictionary: UnsafeMutablePointer<T>, options: Options,
    problem: GramLasso.Problem, implicit: ImplicitCross?, random: inout Xoshiro256, state: ExtrapolationState<T>,
    totalSquared: Double, previousCost: Double, errors: UnsafeMutablePointer<Double>, threads: Int
  ) throws(LossLensError) -> Outcome {
    let n = work.samples, p = work.features, k = work.atoms
    let point = ExtrapolatedPoint<T>(samples: n, features: p, atoms: k)
    var candidateProblem = problem
    candidateProblem.gram = UnsafePointer(point.gram)
    // The current dictionary V, the previous sweep and the extrapolation's target rotate among
    // three buffers; `settle` puts V and the previous sweep back where the caller expects them.
    var current = dictionary, previous = state.previousSweep, spare = point.spare
    defer { settle(current: current, previous: previous, dictionary: dictionary, state: state, count: k * p) }
    var previousCost = previousCost
    var outcome = Outcome(iterations: 0, converged: false)
    SparseCoding.codeStep(problem, work, threads: threads)
    for iteration in 0..<options.maxIter {
      try Cancellation.check()
      work.refreshUsage()
      work.mirrorCode()
      work.refreshTarget(x: x, threads: threads)
      _ = DictionaryUpdate.sweep(
        work, x: x, dictionary: current, constraint: options.constraint,
        positive: options.positiveDict, implicit: implicit, random: &random, threads: threads)
      refreshCross(work, x: x, dictionary: current, implicit: implicit, iteration: iteration, threads: threads)
      SparseCoding.codeStep(problem, work, threads: threads)
      try Cancellation.check()
      work.refreshUsage()
      var kept = cost(work, totalSquared: totalSquared, alpha: options.alpha)
      var keptExtrapolation = false
      if state.hasPrevious {
        point.extrapolate(work, x: x, sweep: current, previous: previous, state: state, into: spare,
                          constraint: options.constraint, positive: options.positiveDict, implicit: implicit,
                          threads: threads)
        point.code.update(from: work.code, count: n * k)
        SparseCoding.codeStep(candidateProblem, samples: n, cross: point.cross, squaredNorms: work.squaredNorms,
                              code: point.code, scratch: work.gramTimesCode, threads: threads)
        try Cancellation.check()
        Double.syrk(trans: true, n: k, k: n, alpha: 1, a: point.code, lda: k, beta: 0, c: point.usage, ldc: k)
        let candidate = cost(
          code: point.code, cross: point.cross, usage: point.usage, gram: point.gram, samples: n, atoms: k,
          totalSquared: totalSquared, alpha: options.alpha)
        keptExtrapolation = candidate < kept
        state.record(success: keptExtrapolation)
        if keptExtrapolation { kept = candidate }
      }
      state.previousCross.update(from: work.cross, count: n * k)
      if keptExtrapolation {
        // The sweep W becomes the previous sweep where it lies; Ŵ becomes V.
        (current, previous, spare) = (spare, current, previous)
        work.cross.update(from: point.cross, count: n * k)
        work.gram.update(from: point.gram, count: k * k)
        work.code.update(from: point.code, count: n * k)
      } else {
        previous.update(from: current, count: k * p)
        state.hasPrevious = true
      }
      if stops(after: iteration, cost: kept, tol: options.tol, errors: errors, previous: &previousCost,
               outcome: &outcome) { break }
    }
    return outcome
  }

  /// Copies the current dictionary to the caller's `dictionary` and the previous sweep to the
  /// state's buffer, wherever the rotation left them (the three buffers are distinct).
  private static func settle<T>(
    current: UnsafeMutablePointer<T>, previous: UnsafeMutablePointer<T>, dictionary: UnsafeMutablePointer<T>,
    state: ExtrapolationState<T>, count: Int
  ) {
    var current = current
    if previous != state.previousSweep {
      if current == state.previousSweep {
        // Move V out of the way first: to the buffer that is neither the caller's nor `previous`.
        let free = previous == dictionary ? UnsafeMutablePointer<T>.allocate(capacity: count) : dictionary
        free.update(from: current, count: count)
        state.previousSweep.update(from: previous, count: count)
        if free != dictionary {
          dictionary.update(from: free, count: count)
          free.deallocate()
        }
        return
      }
      state.previousSweep.update(from: previous, count: count)
    }
    if current != dictionary { dictionary.update(from: current, count: count) }
  }
}
