/// Lasso on a precomputed Gram matrix, one sample at a time: the sparse-coding step of
/// dictionary learning.
///
/// For a sample `x` (length p) and a dictionary `V` (K×p) it minimises
/// `0.5 ‖x − Vᵀu‖² + alpha ‖u‖₁` (optionally with `u ≥ 0`) over `u` (length K), given only
/// `G = V Vᵀ`, `c = V x` and `‖x‖²`. Cyclic coordinate descent keeps `g = G u` up to date; it
/// stops, as scikit-learn's `enet_coordinate_descent_gram` does, when the largest coordinate step
/// is below `tol` times the largest coordinate and the duality gap is below `tol · ‖x‖²`.
///
/// Ill-conditioned Gram matrices (correlated atoms) make coordinate descent crawl, so after every
/// sweep that left the support and signs unchanged it tries the exact solution on that support:
/// `G_SS u_S = c_S − alpha · sign(u_S)` by Cholesky; it is accepted when the signs agree and every
/// coordinate off the support satisfies the optimality condition `|c_a − (G u)_a| ≤ alpha`.
public enum GramLasso {
  /// The parameters shared by every sample of one coding step.
  public struct Problem {
    /// `G = V Vᵀ`, K×K row-major.
    public var gram: UnsafePointer<Double>
    /// Number of atoms K.
    public var atoms: Int
    /// L1 weight.
    public var alpha: Double
    /// Restrict the code to `u ≥ 0`.
    public var positive: Bool
    /// Maximum number of coordinate sweeps.
    public var maxSweeps: Int
    /// Relative tolerance of the step and duality-gap tests.
    public var tol: Double

    /// Creates a coding problem.
    public init(gram: UnsafePointer<Double>, atoms: Int, alpha: Double, positive: Bool, maxSweeps: Int, tol: Double) {
      self.gram = gram
      self.atoms = atoms
      self.alpha = alpha
      self.positive = positive
      self.maxSweeps = maxSweeps
      self.tol = tol
    }
  }

  /// Capacity of the `scratch` buffer `solve` needs for K atoms.
  public static func scratchCount(atoms k: Int) -> Int { k * k + 3 * k }

  /// Solves one sample in place: `u` holds the warm start on entry and the code on exit;
  /// `g` (length K) and `scratch` (`scratchCount(atoms:)` values) are scratch space. Returns the
  /// number of sweeps run.
  ///
  /// - Complexity: O(K²) per sweep, plus O(|S|³) per active-set attempt.
  @inlinable
  public static func solve(
    _ problem: Problem, c: UnsafePointer<Double>, squaredNorm: Double,
    u: UnsafeMutablePointer<Double>, g: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
  ) -> Int {
    let k = problem.atoms, gram = problem.gram, alpha = problem.alpha
    for a in 0..<k {
      var s = 0.0
      for b in 0..<k { s += gram[a * k + b] * u[b] }
      g[a] = s
    }
    var sweep = 0
    while sweep < problem.maxSweeps {
      sweep += 1
      var largestStep = 0.0, largestValue = 0.0
      var patternChanged = false
      for a in 0..<k {
        let diagonal = gram[a * k + a]
        let old = u[a]
        var new = 0.0
        if diagonal > 0 {
          let rho = c[a] - g[a] + diagonal * old
          if problem.positive {
            new = Swift.max(rho - alpha, 0) / diagonal
          } else if rho > alpha {
            new = (rho - alpha) / diagonal
          } else if rho < -alpha {
            new = (rho + alpha) / diagonal
          }
        }
        if new != old {
          if (new > 0) != (old > 0) || (new < 0) != (old < 0) { patternChanged = true }
          let delta = new - old
          for b in 0..<k { g[b] += delta * gram[b * k + a] }
          u[a] = new
          largestStep = Swift.max(largestStep, Swift.abs(delta))
        }
        largestValue = Swift.max(largestValue, Swift.abs(new))
      }
      if !patternChanged, exactOnSupport(problem, c: c, u: u, g: g, scratch: scratch) { break }
      if largestValue == 0 || largestStep / largestValue < problem.tol || sweep == problem.maxSweeps {
        if dualityGap(problem, c: c, squaredNorm: squaredNorm, u: u, g: g) <= problem.tol * squaredNorm { break }
      }
    }
    return sweep
  }

  /// Tries the exact Lasso solution on the support and signs of `u`; on success stores it in `u`
  /// and `g = G u` and returns `true`, otherwise leaves both unchanged.
  ///
  /// - Complexity: O(|S|³ + K·|S|).
  @inlinable
  static func exactOnSupport(
    _ problem: Problem, c: UnsafePointer<Double>, u: UnsafeMutablePointer<Double>,
    g: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
  ) -> Bool {
    let k = problem.atoms, gram = problem.gram, alpha = problem.alpha
    let factor = scratch, z = scratch + k * k, support = scratch + k * k + k, newG = scratch + k * k + 2 * k
    var m = 0
    for a in 0..<k where u[a] != 0 {
      support[m] = Double(a)
      m += 1
    }
    // Factor G_SS = L Lᵀ (lower triangle, row-major m×m) and solve for z.
    for r in 0..<m {
      let a = Int(support[r])
      z[r] = c[a] - (u[a] > 0 ? alpha : -alpha)
      for col in 0...r {
        var sum = gram[a * k + Int(support[col])]
        for j in 0..<col { sum -= factor[r * m + j] * factor[col * m + j] }
        if col == r {
          guard sum > 1e-12 * gram[a * k + a], sum > 0 else { return false }
          factor[r * m + r] = sum.squareRoot()
        } else {
          factor[r * m + col] = sum / factor[col * m + col]
        }
      }
    }
    for r in 0..<m {
      var sum = z[r]
      for j in 0..<r { sum -= factor[r * m + j] * z[j] }
      z[r] = sum / factor[r * m + r]
    }
    for r in stride(from: m - 1, through: 0, by: -1) {
      var sum = z[r]
      for j in (r + 1)..<m { sum -= factor[j * m + r] * z[j] }
      z[r] = sum / factor[r * m + r]
      if (z[r] > 0) != (u[Int(support[r])] > 0) || z[r] == 0 { return false }
    }
    for a in 0..<k {
      var sum = 0.0
      for r in 0..<m { sum += gram[a * k + Int(support[r])] * z[r] }
      newG[a] = sum
    }
    var r = 0
    for a in 0..<k {
      if r < m, Int(support[r]) == a {
        r += 1
        continue
      }
      let correlation = c[a] - newG[a]
      let slack = 1e-10 * Swift.max(alpha, Swift.abs(c[a]))
      if (problem.positive ? correlation : Swift.abs(correlation)) > alpha + slack { return false }
    }
    for a in 0..<k {
      u[a] = 0
      g[a] = newG[a]
    }
    for r in 0..<m { u[Int(support[r])] = z[r] }
    return true
  }

  /// The duality gap of `u` (with `g = G u`), computed from K-dimensional quantities only.
  ///
  /// The residual is `r = x − Vᵀu`, so `‖r‖² = ‖x‖² − 2cᵀu + uᵀg`, `rᵀx = ‖x‖² − cᵀu` and
  /// `V r = c − g`; the dual point is `r` scaled to satisfy `‖V r‖_∞ ≤ alpha`.
  /// - Complexity: O(K).
  @inlinable
  public static func dualityGap(
    _ problem: Problem, c: UnsafePointer<Double>, squaredNorm: Double,
    u: UnsafePointer<Double>, g: UnsafePointer<Double>
  ) -> Double {
    var cu = 0.0, ug = 0.0, l1 = 0.0, dualNorm = 0.0
    for a in 0..<problem.atoms {
      cu += c[a] * u[a]
      ug += u[a] * g[a]
      l1 += Swift.abs(u[a])
      let correlation = c[a] - g[a]
      dualNorm = Swift.max(dualNorm, problem.positive ? correlation : Swift.abs(correlation))
    }
    let residual = Swift.max(squaredNorm - 2 * cu + ug, 0)
    let scale = dualNorm > problem.alpha ? problem.alpha / dualNorm : 1
    return 0.5 * residual * (1 + scale * scale) + problem.alpha * l1 - scale * (squaredNorm - cu)
  }
}
