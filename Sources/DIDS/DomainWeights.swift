import LossLensCore

/// DIDS §4.3: domain sampling probabilities from the impact matrix and the task-loss trajectories.
public enum DomainWeights {
  /// How each task's column of the impact matrix is normalised before eq. (13).
  public enum ImpactNormalization: Sendable {
    /// The authors' code: Ĩᵢⱼ = (maxₖ Iₖⱼ − Iᵢⱼ) / Σₖ (maxₖ Iₖⱼ − Iₖⱼ), so a smaller divergence weighs more.
    case maxGap
    /// Ĩᵢⱼ = Iᵢⱼ / Σₖ |Iₖⱼ|: keeps the sign of a similarity such as the Fisher kernel.
    case sum
    /// The impact as given.
    case none
  }

  /// How the utilities become a probability vector.
  public enum Normalization: Sendable {
    /// DIDS appendix C: p̂ = softmax(U / temperature).
    case softmax
    /// The authors' code: p̂ ∝ max(U, 1e-7), uniform when every U is zero.
    case linear
  }

  /// The normalised impact Ĩ (`nd × nt`) of the raw impact `impact`.
  ///
  /// - Complexity: O(nd·nt).
  public static func normalizedImpact(
    _ impact: UnsafePointer<Double>, nd: Int, nt: Int, mode: ImpactNormalization, into out: UnsafeMutablePointer<Double>
  ) {
    for j in 0..<nt {
      switch mode {
      case .none:
        for i in 0..<nd { out[i * nt + j] = impact[i * nt + j] }
      case .maxGap:
        var top = -Double.infinity
        for i in 0..<nd { top = max(top, impact[i * nt + j]) }
        var total = 0.0
        for i in 0..<nd { total += top - impact[i * nt + j] }
        for i in 0..<nd { out[i * nt + j] = total > 0 ? (top - impact[i * nt + j]) / total : 0 }
      case .sum:
        var total = 0.0
        for i in 0..<nd { total += abs(impact[i * nt + j]) }
        for i in 0..<nd { out[i * nt + j] = total > 0 ? impact[i * nt + j] / total : 0 }
      }
    }
  }

  /// DIDS eq. (13) summed over tasks with l_c + l_p (eq. (16), appendix C line 39):
  /// Uᵢ = Σⱼ Ĩᵢⱼ (l_c,ⱼ + l_p,ⱼ) / p_{t−1,i}.
  ///
  /// - Complexity: O(nd·nt).
  public static func utilities(
    normalizedImpact: UnsafePointer<Double>, nd: Int, nt: Int, improvement: UnsafePointer<Double>,
    potential: UnsafePointer<Double>, previous: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>
  ) {
    for i in 0..<nd {
      var s = 0.0
      for j in 0..<nt { s += normalizedImpact[i * nt + j] * (improvement[j] + potential[j]) }
      out[i] = s / previous[i]
    }
  }

  /// DIDS eq. (16) with appendix C: p̂ from the utilities (softmax or linear), then the EMA
  /// pₜ = β pₜ₋₁ + (1 − β) p̂, renormalised.
  ///
  /// - Complexity: O(nd).
  public static func update(
    utilities u: UnsafePointer<Double>, previous: UnsafePointer<Double>, nd: Int, beta: Double,
    normalization: Normalization, temperature: Double, into out: UnsafeMutablePointer<Double>
  ) {
    switch normalization {
    case .softmax:
      var top = -Double.infinity
      for i in 0..<nd { top = max(top, u[i] / temperature) }
      var total = 0.0
      for i in 0..<nd {
        out[i] = exp(u[i] / temperature - top)
        total += out[i]
      }
      for i in 0..<nd { out[i] /= total }
    case .linear:
      var total = 0.0
      for i in 0..<nd {
        out[i] = u[i] < 0 ? 1e-7 : u[i]
        total += out[i]
      }
      for i in 0..<nd { out[i] = total > 0 ? out[i] / total : 1 / Double(nd) }
    }
    var total = 0.0
    for i in 0..<nd {
      out[i] = beta * previous[i] + (1 - beta) * out[i]
      total += out[i]
    }
    for i in 0..<nd { out[i] /= total }
  }

  /// DIDS eq. (15): l_p = l_t − L(t + τ) with L the eq. (14) decay fit (b ≥ 0, the paper's "exponential
  /// decay model"; unconstrained, a rising history extrapolates exponential growth and l_p reaches −10¹⁷)
  /// to the history (`paper`), or the authors' code (`code`): unconstrained fit over indices 0…n−1,
  /// predict at n + τ, 1 with fewer than 5 points. A history that cannot be fitted has no potential (0).
  ///
  /// - Complexity: one `ExponentialDecay.fit`.
  public static func potential(
    t: UnsafePointer<Double>, y: UnsafePointer<Double>, n: Int, tau: Double, authorsCode: Bool
  ) throws(LossLensError) -> Double {
    guard n >= 1 else { throw .invalid("the loss history must not be empty") }
    guard tau.isFinite else { throw .invalid("tau must be finite") }
    if authorsCode {
      if n < 5 { return 1 }
      let index = (0..<n).map(Double.init)
      let guess = (y[0] - y[n - 1], 0.1, y[n - 1])
      let fit = try index.withUnsafeBufferPointer { (ip) throws(LossLensError) -> ExponentialDecay.Fit in
        try ExponentialDecay.fit(t: ip.baseAddress!, y: y, n: n, guess: guess)
      }
      guard fit.status != .tooFewPoints else { return 0 }
      let value = y[n - 1] - fit.value(at: Double(n) + tau)
      return value.isFinite ? value : 0
    }
    let fit = try ExponentialDecay.fit(t: t, y: y, n: n, guess: nil, bounds: .decay)
    guard fit.status != .tooFewPoints else { return 0 }
    let value = y[n - 1] - fit.value(at: t[n - 1] + tau)
    return value.isFinite ? value : 0
  }
}
