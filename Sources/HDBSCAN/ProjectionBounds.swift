import LossLensCore

/// Coordinates of every point on a few orthonormal directions (the leading principal axes), so
/// that `‖P(a) − P(b)‖ ≤ ‖a − b‖` bounds a Euclidean distance from below at the cost of a few flops.
public struct ProjectionBounds {
  /// Number of directions.
  public let width: Int
  /// Projected coordinates, count × width, row-major.
  public let coordinates: [Double]

  /// Projects `count` points of `dim` features on `width` leading principal axes of their
  /// covariance, found by subspace iteration.
  ///
  /// - Complexity: O(n · dim² + n · dim · width) flops, mostly in BLAS.
  public init(_ x: UnsafePointer<Double>, count n: Int, dim: Int, width requested: Int = 8) {
    let m = Swift.min(requested, dim)
    width = m
    var mean = [Double](repeating: 0, count: dim)
    for i in 0..<n { for k in 0..<dim { mean[k] += x[i * dim + k] } }
    for k in 0..<dim { mean[k] /= Double(n) }
    // Covariance C = XᵀX / n − μμᵀ.
    var cov = [Double](repeating: 0, count: dim * dim)
    cov.withUnsafeMutableBufferPointer { c in
      Double.syrk(trans: true, n: dim, k: n, alpha: 1 / Double(n), a: x, lda: dim, beta: 0, c: c.baseAddress!, ldc: dim)
      for a in 0..<dim { for b in 0..<dim { c[a * dim + b] -= mean[a] * mean[b] } }
    }
    var rng = Xoshiro256(seed: 0x4844_4253)
    var q = (0..<(dim * m)).map { _ in rng.nextGaussian() }
    var next = [Double](repeating: 0, count: dim * m)
    for _ in 0..<12 {
      cov.withUnsafeBufferPointer { c in
        q.withUnsafeBufferPointer { qb in
          next.withUnsafeMutableBufferPointer { nb in
            Double.gemm(transA: false, transB: false, m: dim, n: m, k: dim, alpha: 1, a: c.baseAddress!, lda: dim,
                        b: qb.baseAddress!, ldb: m, beta: 0, c: nb.baseAddress!, ldc: m)
          }
        }
      }
      swap(&q, &next)
      ProjectionBounds.orthonormalizeColumns(&q, rows: dim, cols: m)
    }
    var p = [Double](repeating: 0, count: n * m)
    q.withUnsafeBufferPointer { qb in
      p.withUnsafeMutableBufferPointer { pb in
        Double.gemm(transA: false, transB: false, m: n, n: m, k: dim, alpha: 1, a: x, lda: dim,
                    b: qb.baseAddress!, ldb: m, beta: 0, c: pb.baseAddress!, ldc: m)
      }
    }
    coordinates = p
  }

  /// Modified Gram–Schmidt on the columns of a row-major rows × cols matrix (twice, for accuracy);
  /// a column that vanishes is replaced by zeros.
  static func orthonormalizeColumns(_ a: inout [Double], rows: Int, cols: Int) {
    for _ in 0..<2 {
      for c in 0..<cols {
        for prior in 0..<c {
          var dot = 0.0
          for r in 0..<rows { dot += a[r * cols + c] * a[r * cols + prior] }
          for r in 0..<rows { a[r * cols + c] -= dot * a[r * cols + prior] }
        }
        var norm = 0.0
        for r in 0..<rows { norm += a[r * cols + c] * a[r * cols + c] }
        let scale = norm > 1e-300 ? 1 / norm.squareRoot() : 0
        for r in 0..<rows { a[r * cols + c] *= scale }
      }
    }
  }
}
