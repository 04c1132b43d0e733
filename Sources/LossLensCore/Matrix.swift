/// Small helpers on row-major matrices held in caller-owned buffers.
public enum Matrix {
  /// Copies the upper triangle of the n×n row-major matrix `c` into its lower triangle.
  ///
  /// - Complexity: O(n²).
  @inlinable public static func mirrorUpper<T>(_ c: UnsafeMutablePointer<T>, n: Int, ldc: Int) {
    for i in 0..<n {
      for j in 0..<i { c[i * ldc + j] = c[j * ldc + i] }
    }
  }

  /// `true` when every entry of the `count` values at `p` is finite.
  ///
  /// - Complexity: O(count).
  @inlinable public static func allFinite<T: BinaryFloatingPoint>(_ p: UnsafePointer<T>, count: Int) -> Bool {
    for i in 0..<count where !p[i].isFinite { return false }
    return true
  }
}

extension Matrix {
  /// Writes the transpose of the row-major `rows × cols` matrix `x` to `out` (`cols` rows of
  /// `stride ≥ rows` entries), in square blocks so that both sides stay in cache.
  ///
  /// - Complexity: O(rows · cols).
  public static func transpose<T>(
    _ x: UnsafePointer<T>, rows: Int, cols: Int, into out: UnsafeMutablePointer<T>, stride: Int
  ) {
    let block = 32
    for rowStart in Swift.stride(from: 0, to: rows, by: block) {
      let rowEnd = Swift.min(rowStart + block, rows)
      for colStart in Swift.stride(from: 0, to: cols, by: block) {
        let colEnd = Swift.min(colStart + block, cols)
        for r in rowStart..<rowEnd {
          for c in colStart..<colEnd { out[c * stride + r] = x[r * cols + c] }
        }
      }
    }
  }
}
