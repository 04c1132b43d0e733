import LossLensCore

/// The data of one k-means problem: `n` weighted rows of width `d` in a caller-owned row-major buffer.
///
/// Kernels read the rows in fixed blocks (`parts`), each accumulated on its own and reduced in block
/// order, so results do not depend on the number of threads.
public struct KMeansProblem<T: LossLensReal> {
  /// Row-major `n × d` data.
  public let x: UnsafePointer<T>
  /// One non-negative weight per row.
  public let weights: UnsafePointer<T>
  /// Number of rows.
  public let n: Int
  /// Width of a row.
  public let d: Int
  /// Threads used by the kernels.
  public let threads: Int

  /// Rows per distance block (as scikit-learn's chunked kernels use).
  static var chunkRows: Int { 256 }

  /// Wraps checked buffers; throws on empty data, non-finite values or negative weights.
  ///
  /// - Complexity: O(n·d) to check the values.
  public init(
    x: UnsafePointer<T>, weights: UnsafePointer<T>, n: Int, d: Int, threads: Int
  ) throws(LossLensError) {
    guard n > 0, d > 0 else { throw .invalid("X must not be empty (got shape (\(n), \(d)))") }
    guard Matrix.allFinite(x, count: n * d) else { throw .invalid("X contains NaN or infinity") }
    guard Matrix.allFinite(weights, count: n) else { throw .invalid("sample_weight contains NaN or infinity") }
    for i in 0..<n where weights[i] < 0 { throw .invalid("sample_weight must be non-negative") }
    self.x = x
    self.weights = weights
    self.n = n
    self.d = d
    self.threads = max(1, threads)
  }

  /// The fixed row blocks the kernels accumulate separately: at most 16, each at least `chunkRows` long.
  var parts: [Range<Int>] {
    let count = min(16, (n + Self.chunkRows - 1) / Self.chunkRows)
    let size = (n + count - 1) / count
    return (0..<count).map { p in (p * size)..<min(n, (p + 1) * size) }.filter { !$0.isEmpty }
  }

  /// Squared Euclidean distance between row `i` and the `d`-vector at `c`.
  ///
  /// - Complexity: O(d).
  @inline(__always) func squaredDistance(row i: Int, to c: UnsafePointer<T>) -> T {
    let r = x + i * d
    var s0: T = 0, s1: T = 0, s2: T = 0, s3: T = 0
    var k = 0
    while k + 4 <= d {
      let a = r[k] - c[k], b = r[k + 1] - c[k + 1], e = r[k + 2] - c[k + 2], f = r[k + 3] - c[k + 3]
      s0 += a * a; s1 += b * b; s2 += e * e; s3 += f * f
      k += 4
    }
    while k < d {
      let a = r[k] - c[k]
      s0 += a * a
      k += 1
    }
    return (s0 + s1) + (s2 + s3)
  }
}
