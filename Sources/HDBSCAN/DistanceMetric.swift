import LossLensCore

/// A dissimilarity between two rows of a row-major data matrix.
///
/// Formulas follow the `hdbscan` package (`dist_metrics.pyx`) and scikit-learn term for term, so
/// distances agree with the references to the last bits for the same summation order. Kernels are
/// generic over the metric so that each specialises to a tight loop.
public protocol DistanceMetric: Sendable {
  /// Distance between the `dim`-vectors at `a` and `b`.
  func distance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, dim: Int) -> Double
}

/// `sqrt(Σ (a − b)²)`.
public struct EuclideanMetric: DistanceMetric {
  /// Creates the metric.
  public init() {}
  @inlinable public func distance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, dim: Int) -> Double {
    var sum = 0.0
    for k in 0..<dim {
      let t = a[k] - b[k]
      sum += t * t
    }
    return sum.squareRoot()
  }
}

/// `Σ |a − b|`.
public struct ManhattanMetric: DistanceMetric {
  /// Creates the metric.
  public init() {}
  @inlinable public func distance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, dim: Int) -> Double {
    var sum = 0.0
    for k in 0..<dim { sum += abs(a[k] - b[k]) }
    return sum
  }
}

/// `max |a − b|`.
public struct ChebyshevMetric: DistanceMetric {
  /// Creates the metric.
  public init() {}
  @inlinable public func distance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, dim: Int) -> Double {
    var best = 0.0
    for k in 0..<dim { best = Swift.max(best, abs(a[k] - b[k])) }
    return best
  }
}

/// `(Σ |a − b|^p)^(1/p)` with `p ≥ 1`.
public struct MinkowskiMetric: DistanceMetric {
  /// The exponent.
  public let p: Double
  /// Creates the metric of exponent `p ≥ 1`.
  public init(p: Double) { self.p = p }
  @inlinable public func distance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, dim: Int) -> Double {
    var sum = 0.0
    for k in 0..<dim { sum += pow(abs(a[k] - b[k]), p) }
    return pow(sum, 1 / p)
  }
}
