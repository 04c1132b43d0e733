import LossLensCore

/// The end of the spectrum a Lanczos run looks for (ARPACK's `which`).
public enum LanczosTarget: Sendable {
  /// Largest algebraic eigenvalues (`"LA"`).
  case largestAlgebraic
  /// Largest magnitude eigenvalues (`"LM"`).
  case largestMagnitude
  /// Smallest algebraic eigenvalues (`"SA"`).
  case smallestAlgebraic

  /// Sort key: smaller keys are wanted first.
  @inlinable func key(_ value: Double) -> Double {
    switch self {
    case .largestAlgebraic: return -value
    case .largestMagnitude: return -abs(value)
    case .smallestAlgebraic: return value
    }
  }
}

/// Parameters of a thick-restart Lanczos run.
public struct LanczosOptions: Sendable {
  /// Number of eigenpairs wanted (`k`).
  public var count: Int
  /// Which end of the spectrum.
  public var target: LanczosTarget
  /// Relative accuracy: a Ritz pair (θ, y) is converged when ‖Ay − θy‖ ≤ tol · max(|θ|, ε^{2/3}‖T‖).
  /// `0` means machine precision (as in ARPACK and SciPy).
  public var tolerance: Double
  /// Maximum number of restarts before the run stops with fewer than `count` converged pairs.
  public var maxRestarts: Int
  /// Size `m` of the Krylov basis between restarts; `0` picks SciPy's default `min(max(2k + 1, 20), n − p)`.
  public var subspaceSize: Int
  /// Seed of the random start vector (used when no start vector is given, and after a breakdown).
  public var seed: UInt64

  /// Creates options; see each property for its meaning.
  public init(
    count: Int, target: LanczosTarget = .largestAlgebraic, tolerance: Double = 0,
    maxRestarts: Int = 1000, subspaceSize: Int = 0, seed: UInt64 = 0
  ) {
    self.count = count
    self.target = target
    self.tolerance = tolerance
    self.maxRestarts = maxRestarts
    self.subspaceSize = subspaceSize
    self.seed = seed
  }
}

/// What `LanczosSolver.step` asks of its caller.
public enum LanczosRequest: Sendable {
  /// The run is over; read the result.
  case done
  /// Apply the operator to the vector written into the request buffer and pass the product to the next step.
  case applyOperator
}
