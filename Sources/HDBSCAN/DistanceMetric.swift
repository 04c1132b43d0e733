import Glibc

/// The dissimilarities HDBSCAN accepts, evaluated between two rows of a row-major data matrix.
///
/// Each formula follows the `hdbscan` package (`dist_metrics.pyx`) term for term, so distances
/// agree with the reference to the last bits for the same summation order.
public enum DistanceMetric: Sendable, Equatable {
  /// `sqrt(Σ (a − b)²)`.
  case euclidean
  /// `Σ |a − b|`.
  case manhattan
  /// `max |a − b|`.
  case chebyshev
  /// `(Σ |a − b|^p)^(1/p)` with `p ≥ 1`.
  case minkowski(Double)
  /// `1 − a·b / (‖a‖ ‖b‖)` (scikit-learn's `cosine_distances`, clipped at 0).
  case cosine
  /// The input is an n×n matrix of distances; `distance(i, j)` reads entry (i, j).
  case precomputed

  /// Distance between the `dim`-vectors at `a` and `b`.
  ///
  /// - Complexity: O(dim).
  @inlinable public func distance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, dim: Int) -> Double {
    switch self {
    case .euclidean:
      var sum = 0.0
      for k in 0..<dim {
        let t = a[k] - b[k]
        sum += t * t
      }
      return sum.squareRoot()
    case .manhattan:
      var sum = 0.0
      for k in 0..<dim { sum += abs(a[k] - b[k]) }
      return sum
    case .chebyshev:
      var best = 0.0
      for k in 0..<dim { best = Swift.max(best, abs(a[k] - b[k])) }
      return best
    case .minkowski(let p):
      var sum = 0.0
      for k in 0..<dim { sum += pow(abs(a[k] - b[k]), p) }
      return pow(sum, 1 / p)
    case .cosine:
      var dot = 0.0, na = 0.0, nb = 0.0
      for k in 0..<dim {
        dot += a[k] * b[k]
        na += a[k] * a[k]
        nb += b[k] * b[k]
      }
      let denominator = na.squareRoot() * nb.squareRoot()
      guard denominator > 0 else { return 1 }
      return Swift.max(0, 1 - dot / denominator)
    case .precomputed:
      return 0
    }
  }
}

/// A data set seen through a metric: `n` points with `dim` features, or an n×n distance matrix.
public struct MetricSpace: @unchecked Sendable {
  /// Row-major data (n×dim) or distances (n×n).
  public let data: UnsafePointer<Double>
  /// Number of points.
  public let count: Int
  /// Number of features (n for a precomputed matrix).
  public let dim: Int
  /// How two points are compared.
  public let metric: DistanceMetric

  /// Wraps a caller-owned buffer; it must outlive the space.
  public init(data: UnsafePointer<Double>, count: Int, dim: Int, metric: DistanceMetric) {
    self.data = data
    self.count = count
    self.dim = dim
    self.metric = metric
  }

  /// Distance between points `i` and `j`.
  ///
  /// - Complexity: O(dim), O(1) when precomputed.
  @inlinable public func distance(_ i: Int, _ j: Int) -> Double {
    if case .precomputed = metric { return data[i * count + j] }
    return metric.distance(data + i * dim, data + j * dim, dim: dim)
  }
}
