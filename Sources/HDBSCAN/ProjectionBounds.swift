import LossLensCore

/// Coordinates of every point on a few orthonormal directions (the leading principal axes), so
/// that `‖P(a) − P(b)‖ ≤ ‖a − b‖` bounds a Euclidean distance from below at the cost of a few flops.
public struct ProjectionBounds {
  /// Number of directions.
  public let width: Int
  /// Projected coordinates, count × width, row-major.
  public let coordinates: [Double]

  /// Projects `count` points of `dim` features on `width` leading principal axes of their
  /// covariance, found by subspace iteration. The points are widened to `Double` and divided by a
  /// power of two near their largest coordinate a block of rows at a time (exactly; never the whole
  /// input at once), so that no product underflows or overflows whatever their scale.
  ///
  /// - Complexity: O(n · dim² + n · dim · width) flops, mostly in BLAS.
  public init<S: LossLensReal>(_ x: UnsafePointer<S>, count n: Int, dim: Int, width requested: Int = 8) {
    let m = Swift.min(requested, dim)
    width = m
    let scale = ProjectionBounds.powerOfTwo(atLeast: ProjectionBounds.largestMagnitude(x, count: n * dim))
    let q = ProjectionBounds.axes(x, count: n, dim: dim, width: m, scale: scale)
    var p = [Double](repeating: 0, count: n * m)
    q.withUnsafeBufferPointer { qb in
      p.withUnsafeMutableBufferPointer { pb in
        ProjectionBounds.forEachBlock(x, count: n, dim: dim, scale: scale) { rows, block, offset in
          Double.gemm(transA: false, transB: false, m: rows, n: m, k: dim, alpha: scale, a: block, lda: dim,
                      b: qb.baseAddress!, ldb: m, beta: 0, c: pb.baseAddress! + offset * m, ldc: m)
        }
      }
    }
    coordinates = p
  }

  /// The largest absolute value among the first `count` values of `x`.
  static func largestMagnitude<S: LossLensReal>(_ x: UnsafePointer<S>, count: Int) -> Double {
    var largest = 0.0
    for i in 0..<count { largest = Swift.max(largest, abs(Double(x[i]))) }
    return largest
  }

  /// The smallest power of two above `value` (1 for 0; the largest finite one for ∞).
  static func powerOfTwo(atLeast value: Double) -> Double {
    guard value > 0 else { return 1 }
    let exponent = value.isFinite ? value.exponent + 1 : Double.greatestFiniteMagnitude.exponent
    return Double(sign: .plus, exponent: Swift.min(exponent, Double.greatestFiniteMagnitude.exponent), significand: 1)
  }

  /// The `width ≤ dim` leading principal axes of the covariance of `count` points, by subspace
  /// iteration on the points divided by `scale` (a power of two): dim × width, row-major,
  /// orthonormal columns.
  ///
  /// - Complexity: O(n · dim²) flops in BLAS, O(dim²) memory.
  static func axes<S: LossLensReal>(
    _ x: UnsafePointer<S>, count n: Int, dim: Int, width m: Int, scale: Double
  ) -> [Double] {
    var mean = [Double](repeating: 0, count: dim)
    for i in 0..<n { for k in 0..<dim { mean[k] += Double(x[i * dim + k]) / scale } }
    for k in 0..<dim { mean[k] /= Double(n) }
    // Covariance C = XᵀX / n − μμᵀ.
    var cov = [Double](repeating: 0, count: dim * dim)
    cov.withUnsafeMutableBufferPointer { c in
      ProjectionBounds.forEachBlock(x, count: n, dim: dim, scale: scale) { rows, block, offset in
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
    return q
  }

  /// The projections of `count` points on `axes` (dim × width), divided by `keyScale` and rounded
  /// to `Float`, into `out` (count × width, by original index), a block of rows at a time: only 4
  /// bytes per key outlive the call. `scale` is the power of two the rows are divided by first.
  static func project<S: LossLensReal>(
    _ x: UnsafePointer<S>, count n: Int, dim: Int, axes: [Double], width m: Int, scale: Double, keyScale: Double,
    into out: UnsafeMutablePointer<Float>
  ) {
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: Swift.min(n, blockRows) * m)
    defer { scratch.deallocate() }
    axes.withUnsafeBufferPointer { qb in
      ProjectionBounds.forEachBlock(x, count: n, dim: dim, scale: scale) { rows, block, first in
        Double.gemm(transA: false, transB: false, m: rows, n: m, k: dim, alpha: scale / keyScale, a: block, lda: dim,
                    b: qb.baseAddress!, ldb: m, beta: 0, c: scratch, ldc: m)
        for i in 0..<(rows * m) { out[first * m + i] = Float(scratch[i]) }
      }
    }
  }

  /// Rows per block of `forEachBlock`.
  private static var blockRows: Int { 4096 }

  /// Calls `body(rows, block, firstRow)` on blocks of at most `blockRows` rows of `x` widened to
  /// `Double` and divided by `scale` (a power of two: exact but for results below 2⁻¹⁰²²).
  private static func forEachBlock<S: LossLensReal>(
    _ x: UnsafePointer<S>, count n: Int, dim: Int, scale: Double, _ body: (Int, UnsafePointer<Double>, Int) -> Void
  ) {
    let inverse = 1 / scale
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: Swift.min(n, blockRows) * dim)
    defer { scratch.deallocate() }
    for first in stride(from: 0, to: n, by: blockRows) {
      let rows = Swift.min(blockRows, n - first)
      for i in 0..<(rows * dim) { scratch[i] = Double(x[first * dim + i]) * inverse }
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
