import LossLensCore

/// DIDS eq. (14): the learning curve L(t) = a·e^(−b·t) + c fitted to a loss history by
/// Levenberg–Marquardt (MINPACK-style scaling), started from the caller's guess and from the three best
/// rates of a profile scan over b (for fixed b the model is linear in a and c), keeping the best fit.
public enum ExponentialDecay {
  /// The outcome of a fit.
  public enum Status: Sendable {
    /// The relative decrease of the cost or the relative step fell below 1.5e-8.
    case converged
    /// The evaluation budget ran out; the parameters are the best found.
    case maxEvaluations
    /// Fewer than three finite points: the three parameters are not determined.
    case tooFewPoints
  }

  /// Fitted parameters (a, b, c), half the residual sum of squares and the status.
  public struct Fit: Sendable {
    public var a: Double, b: Double, c: Double
    public var cost: Double
    public var evaluations: Int
    public var status: Status

    /// DIDS eq. (14): a·e^(−b·t) + c.
    public func value(at t: Double) -> Double { a * exp(-b * t) + c }
  }

  /// Box constraints on (a, b, c); infinite by default.
  public struct Bounds: Sendable {
    public var lower: (Double, Double, Double)
    public var upper: (Double, Double, Double)
    public init(lower: (Double, Double, Double), upper: (Double, Double, Double)) {
      self.lower = lower
      self.upper = upper
    }
    public static let none = Bounds(lower: (-.infinity, -.infinity, -.infinity), upper: (.infinity, .infinity, .infinity))
    /// b ≥ 0: a decay (or a saturating rise when a < 0), never exponential growth.
    public static let decay = Bounds(lower: (-.infinity, 0, -.infinity), upper: (.infinity, .infinity, .infinity))

    func clamp(_ p: (Double, Double, Double)) -> (Double, Double, Double) {
      (min(max(p.0, lower.0), upper.0), min(max(p.1, lower.1), upper.1), min(max(p.2, lower.2), upper.2))
    }
  }

  /// Fits eq. (14) to the points (t, y); `guess` defaults to scipy's (1, 1, 1).
  ///
  /// - Complexity: O(n) per evaluation, at most `maxEvaluations` per start (4 starts), plus a
  ///   400-rate profile scan.
  public static func fit(
    t: UnsafePointer<Double>, y: UnsafePointer<Double>, n: Int, guess: (Double, Double, Double)?,
    bounds: Bounds = .none, maxEvaluations: Int = 2000
  ) throws(LossLensError) -> Fit {
    guard n >= 0 else { throw .invalid("the history must not have a negative length") }
    guard Matrix.allFinite(t, count: n), Matrix.allFinite(y, count: n) else {
      throw .invalid("t and y must be finite")
    }
    guard bounds.lower.0 <= bounds.upper.0, bounds.lower.1 <= bounds.upper.1, bounds.lower.2 <= bounds.upper.2 else {
      throw .invalid("each lower bound must not exceed its upper bound")
    }
    guard n >= 3 else {
      return Fit(a: .nan, b: .nan, c: .nan, cost: .nan, evaluations: 0, status: .tooFewPoints)
    }
    let start = bounds.clamp(guess ?? (1, 1, 1))
    var best = levenbergMarquardt(t, y, n, start, bounds, maxEvaluations)
    for profiled in profileStarts(t, y, n, bounds) {
      let alternative = levenbergMarquardt(t, y, n, profiled, bounds, maxEvaluations)
      if alternative.cost < best.cost { best = alternative }
    }
    return best
  }

  /// Variable projection: for fixed b the model is linear in (a, c), so the cost profile over b is
  /// one-dimensional. Scans 400 rates of both signs, log-spaced from 1e-4 to 700 over the time span,
  /// refines the three best by golden-section search and returns them as (a, b, c).
  static func profileStarts(
    _ t: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int, _ bounds: Bounds
  ) -> [(Double, Double, Double)] {
    var lo = t[0], hi = t[0]
    for i in 0..<n { lo = min(lo, t[i]); hi = max(hi, t[i]) }
    let span = hi - lo
    guard span > 0 else { return [] }
    /// The least-squares (cost, a, c) for the rate b, a expressed at t's origin.
    func profile(_ b: Double) -> (Double, (Double, Double, Double)) {
      var s11 = 0.0, s12 = 0.0, r1 = 0.0, r2 = 0.0
      let s22 = Double(n)
      for i in 0..<n {
        let e = exp(-b * (t[i] - lo))
        s11 += e * e; s12 += e; r1 += e * y[i]; r2 += y[i]
      }
      let det = s11 * s22 - s12 * s12
      guard det > 1e-13 * s11 * s22, det.isFinite else { return (.infinity, (0, b, 0)) }
      let a0 = (r1 * s22 - s12 * r2) / det
      let c = (s11 * r2 - s12 * r1) / det
      let candidate = bounds.clamp((a0 * exp(b * lo), b, c))
      return (halfSquares(t, y, n, candidate), candidate)
    }
    let perSign = 200
    let rates: [Double] = (0..<(2 * perSign)).map { step in
      let magnitude = pow(10, -4 + (log10(700) + 4) * Double(step % perSign) / Double(perSign - 1)) / span
      return step < perSign ? magnitude : -magnitude
    }
    let costs = rates.map { profile($0).0 }
    let best = costs.indices.filter { costs[$0].isFinite }.sorted { costs[$0] < costs[$1] }.prefix(3)
    return best.map { index in
      // Golden-section search in log|b| between the neighbouring grid rates of the same sign.
      let sign = rates[index] < 0 ? -1.0 : 1.0
      let first = index < perSign ? 0 : perSign
      var left = log(abs(rates[max(first, index - 1)])), right = log(abs(rates[min(first + perSign - 1, index + 1)]))
      let ratio = (5.0.squareRoot() - 1) / 2
      for _ in 0..<40 {
        let m1 = right - ratio * (right - left), m2 = left + ratio * (right - left)
        if profile(sign * exp(m1)).0 < profile(sign * exp(m2)).0 { right = m2 } else { left = m1 }
      }
      let refined = profile(sign * exp((left + right) / 2))
      return refined.0 <= costs[index] ? refined.1 : profile(rates[index]).1
    }
  }

  /// ½ Σ (a·e^(−b·tᵢ) + c − yᵢ)², infinite when it overflows.
  static func halfSquares(
    _ t: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int, _ p: (Double, Double, Double)
  ) -> Double {
    var s = 0.0
    for i in 0..<n {
      let r = p.0 * exp(-p.1 * t[i]) + p.2 - y[i]
      s += r * r
    }
    return s.isFinite ? 0.5 * s : .infinity
  }

  /// Levenberg–Marquardt from `start`, steps projected onto the bounds. The damping is scaled by
  /// the largest diagonal of JᵀJ seen so far (MINPACK's scaling), so a parameter whose column
  /// vanishes cannot take an unbounded step; it stops, as MINPACK does, when the actual and the
  /// predicted relative decrease of the cost are both below 1.5e-8, or the relative step is.
  static func levenbergMarquardt(
    _ t: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int, _ start: (Double, Double, Double),
    _ bounds: Bounds, _ maxEvaluations: Int
  ) -> Fit {
    var p = start
    var cost = halfSquares(t, y, n, p)
    var evaluations = 1
    var lambda = 1e-3
    var scale = [0.0, 0.0, 0.0]
    let tolerance = 1.49012e-8
    func result(_ status: Status) -> Fit {
      Fit(a: p.0, b: p.1, c: p.2, cost: cost, evaluations: evaluations, status: status)
    }
    guard cost.isFinite else { return result(.converged) }
    while evaluations < maxEvaluations {
      // Normal equations JᵀJ δ = −Jᵀr for the residuals r = f − y.
      var s00 = 0.0, s01 = 0.0, s02 = 0.0, s11 = 0.0, s12 = 0.0, r0 = 0.0, r1 = 0.0, r2 = 0.0
      for i in 0..<n {
        let e = exp(-p.1 * t[i])
        let r = p.0 * e + p.2 - y[i]
        let gb = -p.0 * t[i] * e  // ∂/∂b; ∂/∂a = e, ∂/∂c = 1
        s00 += e * e; s01 += e * gb; s02 += e; s11 += gb * gb; s12 += gb
        r0 += e * r; r1 += gb * r; r2 += r
      }
      let jtj = [s00, s01, s02, s01, s11, s12, s02, s12, Double(n)], jtr = [r0, r1, r2]
      guard jtj.allSatisfy(\.isFinite), jtr.allSatisfy(\.isFinite) else { return result(.converged) }
      if jtr.allSatisfy({ $0 == 0 }) { return result(.converged) }
      for u in 0..<3 { scale[u] = max(scale[u], jtj[u * 4], 1e-300) }
      var accepted = false
      while evaluations < maxEvaluations && lambda < 1e32 {
        var m = jtj
        for u in 0..<3 { m[u * 4] += lambda * scale[u] }
        guard let delta = solve3(m, [-jtr[0], -jtr[1], -jtr[2]]) else {
          lambda *= 10
          continue
        }
        let trial = bounds.clamp((p.0 + delta[0], p.1 + delta[1], p.2 + delta[2]))
        let step = [trial.0 - p.0, trial.1 - p.1, trial.2 - p.2]
        let trialCost = halfSquares(t, y, n, trial)
        evaluations += 1
        guard trialCost < cost else {
          lambda *= 10
          continue
        }
        // Decrease the local quadratic model predicts for this step.
        var linear = 0.0, quadratic = 0.0
        for u in 0..<3 {
          linear += step[u] * jtr[u]
          for v in 0..<3 { quadratic += step[u] * jtj[u * 3 + v] * step[v] }
        }
        let predicted = -(linear + 0.5 * quadratic) / cost
        let actual = (cost - trialCost) / cost
        let stepSize = max(abs(step[0]), abs(step[1]), abs(step[2]))
        let size = max(abs(trial.0), abs(trial.1), abs(trial.2))
        p = trial
        cost = trialCost
        lambda = max(lambda / 10, 1e-15)
        accepted = true
        if (actual <= tolerance && abs(predicted) <= tolerance) || stepSize <= tolerance * (size + tolerance)
          || cost == 0
        {
          return result(.converged)
        }
        break
      }
      // No damping lowers the cost: a (numerically) stationary point.
      if !accepted { return result(evaluations >= maxEvaluations ? .maxEvaluations : .converged) }
    }
    return result(.maxEvaluations)
  }

  /// Solves the 3×3 system `m x = r` by Gaussian elimination with partial pivoting; nil when singular.
  static func solve3(_ m: [Double], _ r: [Double]) -> [Double]? {
    var a = m, b = r
    for col in 0..<3 {
      var pivot = col
      for row in (col + 1)..<3 where abs(a[row * 3 + col]) > abs(a[pivot * 3 + col]) { pivot = row }
      guard abs(a[pivot * 3 + col]) > 1e-300, a[pivot * 3 + col].isFinite else { return nil }
      if pivot != col {
        for c in 0..<3 { a.swapAt(col * 3 + c, pivot * 3 + c) }
        b.swapAt(col, pivot)
      }
      for row in (col + 1)..<3 {
        let f = a[row * 3 + col] / a[col * 3 + col]
        for c in col..<3 { a[row * 3 + c] -= f * a[col * 3 + c] }
        b[row] -= f * b[col]
      }
    }
    var x = [0.0, 0.0, 0.0]
    for row in stride(from: 2, through: 0, by: -1) {
      var s = b[row]
      for c in (row + 1)..<3 { s -= a[row * 3 + c] * x[c] }
      x[row] = s / a[row * 3 + row]
    }
    return x.allSatisfy(\.isFinite) ? x : nil
  }
}
