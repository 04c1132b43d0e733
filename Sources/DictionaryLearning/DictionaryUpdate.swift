import LossLensCore

/// The constraint every atom (row of the dictionary V) satisfies after each update.
public enum AtomConstraint: Sendable {
  /// `‖v_k‖₂ ≤ 1` (scikit-learn's `DictionaryLearning`); with `positiveDict` also `v_k ≥ 0`.
  case unitNorm
  /// `v_k ≥ 0` and `Σ_f v_kf = 1`: the column-simplex constraint of LDD eq. (11).
  case simplex
}

/// The dictionary half of dictionary learning: one sweep of block coordinate descent over the
/// atoms, each block minimised exactly under its constraint.
enum DictionaryUpdate {
  /// With `A = UᵀU` and `B = UᵀX` in the workspace, updates every atom `v_k` in turn to the
  /// minimiser of `0.5 ‖X − UV‖²_F` over `v_k` within its constraint set. The block objective is
  /// isotropic (`0.5 A_kk ‖v_k − w‖²` + const, `w = v_k + (B_k − A_k V) / A_kk`), so projecting `w`
  /// onto the set is exact: clip and rescale for the (non-negative) unit ball, Condat's projection
  /// for the simplex. An atom whose usage `A_kk` is at most 1e-6 is redrawn from a random sample
  /// plus 1% noise and its code column zeroed, as scikit-learn does. Returns the number redrawn.
  /// With `implicit` (begun here from `work.cross`), the new crosses follow without streaming X:
  /// `implicit.finish` writes them.
  ///
  /// - Complexity: O(K²·p).
  // LDD eq. (11): the constraint D ≥ 0, 1ᵀD = 1ᵀ is `AtomConstraint.simplex` on the rows of V = Dᵀ.
  static func sweep<T: LossLensReal>(
    _ work: Workspace<T>, x: UnsafePointer<T>, dictionary v: UnsafeMutablePointer<T>,
    constraint: AtomConstraint, positive: Bool, implicit: ImplicitCross?, random: inout Xoshiro256, threads: Int
  ) -> Int {
    let n = work.samples, p = work.features, k = work.atoms
    let atom = work.atom, stripes = work.stripes
    implicit?.begin(from: work.cross)
    var redrawn = 0
    for a in 0..<k {
      let usage = work.usage[a * k + a]
      let row = v + a * p
      if usage > 1e-6 {
        implicit?.setSweepPreimage(atom: a, code: work.code, usage: work.usage)
        let b = work.target + a * p, mixed = work.mixed, weights = work.usageBLAS + a * k
        parallelFor(stripes.count, threads: threads) { range in
          for s in range {
            let features = stripes.range(s)
            if T.self == Double.self {
              StripeKernels.sweepPreimage(
                dictionary: asDouble(v), features: p, atoms: k, atom: a, target: asDouble(b),
                weights: work.usage + a * k, scale: usage, columns: features, into: atom)
            } else {
              // mixed = Vᵀ A_a, the current prediction of B_a.
              T.gemv(trans: true, m: k, n: features.count, alpha: 1, a: v + features.lowerBound, lda: p,
                     x: weights, incx: 1, beta: 0, y: mixed + features.lowerBound, incy: 1)
              for f in features { atom[f] = Double(row[f]) + (Double(b[f]) - Double(mixed[f])) / usage }
            }
            if constraint == .unitNorm { AtomProjection.measure(work, stripe: s, positive: positive) }
          }
        }
        AtomProjection.project(work, into: row, atom: a, constraint: constraint, positive: positive,
                               implicit: implicit, threads: threads)
      } else {
        redraw(atom: atom, from: x, samples: n, features: p, random: &random)
        for i in 0..<n { work.code[i * k + a] = 0 }
        redrawn += 1
        if constraint == .unitNorm {
          for s in 0..<stripes.count { AtomProjection.measure(work, stripe: s, positive: positive) }
        }
        AtomProjection.project(work, into: row, atom: a, constraint: constraint, positive: positive,
                               implicit: nil, threads: threads)
        implicit?.setDirect(atom: a, x: asDouble(x), row: asDouble(row))
      }
    }
    return redrawn
  }

  /// `pointer` as a pointer to `Double`; only called when `T` is `Double`.
  @inline(__always)
  private static func asDouble<T>(_ pointer: UnsafePointer<T>) -> UnsafePointer<Double> {
    UnsafeRawPointer(pointer).assumingMemoryBound(to: Double.self)
  }

  /// A random sample of `x` plus Gaussian noise of 1% of its standard deviation (1 if zero).
  ///
  /// - Complexity: O(p).
  static func redraw<T: LossLensReal>(
    atom: UnsafeMutablePointer<Double>, from x: UnsafePointer<T>, samples n: Int, features p: Int,
    random: inout Xoshiro256
  ) {
    let source = x + Int(random.next() % UInt64(n)) * p
    var mean = 0.0
    for f in 0..<p { mean += Double(source[f]) }
    mean /= Double(p)
    var variance = 0.0
    for f in 0..<p { variance += (Double(source[f]) - mean) * (Double(source[f]) - mean) }
    let std = (variance / Double(p)).squareRoot()
    let noise = 0.01 * (std > 0 ? std : 1)
    for f in 0..<p { atom[f] = Double(source[f]) + noise * random.nextGaussian() }
  }
}
