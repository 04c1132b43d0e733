import LossLensCore

/// `count` feature vectors (row-major, caller-owned) under the cosine distance
/// `1 − a·b / (‖a‖ ‖b‖)`, clipped at 0, and 1 against a zero vector (scikit-learn's
/// `cosine_distances`).
///
/// The norms are computed once, so each distance costs one dot product (four partial sums): the
/// brute path evaluates O(n²) of them.
public struct CosineSpace: MetricSpace, @unchecked Sendable {
  /// Row-major data.
  public let data: UnsafePointer<Double>
  public let count: Int
  /// Number of features.
  public let dim: Int
  /// `‖row‖` of every row.
  public let norms: [Double]

  /// Wraps a caller-owned buffer (it must outlive the space) and measures the row norms.
  ///
  /// - Complexity: O(count · dim).
  public init(data: UnsafePointer<Double>, count: Int, dim: Int) {
    self.data = data
    self.count = count
    self.dim = dim
    norms = (0..<count).map { i in Self.dot(data + i * dim, data + i * dim, dim).squareRoot() }
  }

  /// `a·b` over `dim` entries with four partial sums.
  @inlinable public static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ dim: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var k = 0
    while k + 4 <= dim {
      s0 += a[k] * b[k]; s1 += a[k + 1] * b[k + 1]; s2 += a[k + 2] * b[k + 2]; s3 += a[k + 3] * b[k + 3]
      k += 4
    }
    while k < dim {
      s0 += a[k] * b[k]
      k += 1
    }
    return (s0 + s1) + (s2 + s3)
  }

  @inlinable public func distance(_ i: Int, _ j: Int) -> Double {
    let denominator = norms[i] * norms[j]
    guard denominator > 0 else { return 1 }
    return Swift.max(0, 1 - Self.dot(data + i * dim, data + j * dim, dim) / denominator)
  }

  @inlinable public func coreCandidate(_ i: Int, _ j: Int) -> Double { i == j ? 0 : distance(i, j) }
}
