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
