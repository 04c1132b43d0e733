import LossLensCore

/// Coordinates of every point on a few orthonormal directions (the leading principal axes), so
/// that `‖P(a) − P(b)‖ ≤ ‖a − b‖` bounds a Euclidean distance from below at the cost of a few flops.
public struct ProjectionBounds {
  /// Number of directions.
  public let width: Int
  /// Projected coordinates, count × width, row-major.
  public let coordinates: [Double]

  /// Projects `count` points of `dim` features on `width` leading principal axes of their
  /// covariance, found by subspace iteration. `Float` points are widened a block of rows at a time
  /// for the `Double` BLAS calls (exactly; never the whole input at once).
  ///
  /// - Complexity: O(n · dim² + n · dim · width) flops, mostly in BLAS.
  public init<S: LossLensReal>(_ x: UnsafePointer<S>, count n: Int, dim: Int, width requested: Int = 8) {
    let m = Swift.min(requested, dim)
    width = m
    var mean = [Double](repeating: 0, count: dim)
    for i in 0..<n { for k in 0..<dim { mean[k] += Double(x[i * dim + k]) } }
    for k in 0..<dim { mean[k] /= Double(n) }
    // Covariance C = XᵀX / n − μμᵀ.
    var cov = [Double](repeating: 0, count: dim * dim)
    cov.withUnsafeMutableBufferPointer { c in
      ProjectionBounds.forEachBlock(x, count: n, dim: dim) { rows, block, offset in
        Double.syrk(trans: true, n: dim, k: rows, alpha: 1 / Double(n), a: block, lda: dim, beta: offset == 0 ? 0 : 1,
                    c: c.baseAddress!, ldc: dim)
      }
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
        ProjectionBounds.forEachBlock(x, count: n, dim: dim) { rows, block, offset in
          Double.gemm(transA: false, transB: false, m: rows, n: m, k: dim, alpha: 1, a: block, lda: dim,
                      b: qb.baseAddress!, ldb: m, beta: 0, c: pb.baseAddress! + offset * m, ldc: m)
        }
      }
    }
    coordinates = p
  }

  /// Calls `body(rows, block, firstRow)` on `Double` rows of `x`: all of them at once when `S` is
  /// `Double`, else blocks of at most 4096 rows widened into a scratch buffer.
  private static func forEachBlock<S: LossLensReal>(
    _ x: UnsafePointer<S>, count n: Int, dim: Int, _ body: (Int, UnsafePointer<Double>, Int) -> Void
  ) {
    if S.self == Double.self {
      body(n, UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), 0)
      return
    }
    let blockRows = 4096
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: Swift.min(n, blockRows) * dim)
    defer { scratch.deallocate() }
    for first in stride(from: 0, to: n, by: blockRows) {
      let rows = Swift.min(blockRows, n - first)
      for i in 0..<(rows * dim) { scratch[i] = Double(x[first * dim + i]) }
      body(rows, scratch, first)
    }
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
