import LossLensCore

/// The per-block work of dictionary learning when `X` (n×p) is split into column blocks
/// `X = [X_1 … X_B]` held by different processes, and the dictionary `V` (K×p) with it
/// (`V = [V_1 … V_B]`): a distributed fit sums the blocks' small statistics and repeats
/// `DictionaryLearning.fit`'s iteration exactly, with the code (n×K) on the client.
///
/// The per-block pieces of one iteration: `products` (`C = Σ_b X_b V_bᵀ`, `G = Σ_b V_b V_bᵀ`) feed
/// `SparseCoding.encodeGram`; `target` forms `B_b = Uᵀ X_b`; `atomStep` is `DictionaryUpdate.sweep`'s
/// unprojected atom on the block; the atom's simplex threshold comes from
/// `SimplexProjection.blockSums` over the blocks.
public enum DictionaryBlocks {
  /// `cross = X_b V_bᵀ` (n×K) and `gram = V_b V_bᵀ` (K×K) of one block of `m` columns.
  ///
  /// - Complexity: O(n·m·K + K²·m), in BLAS.
  public static func products(
    x: UnsafePointer<Double>, samples n: Int, columns m: Int, dictionary v: UnsafePointer<Double>, atoms k: Int,
    cross: UnsafeMutablePointer<Double>, gram: UnsafeMutablePointer<Double>
  ) {
    Double.gemm(transA: false, transB: true, m: n, n: k, k: m, alpha: 1, a: x, lda: m, b: v, ldb: m,
                beta: 0, c: cross, ldc: k)
    Double.syrk(trans: false, n: k, k: m, alpha: 1, a: v, lda: m, beta: 0, c: gram, ldc: k)
  }

  /// `target = Uᵀ X_b` (K×m) for the code `u` (n×K) and one block `x` (n×m).
  ///
  /// - Complexity: O(n·m·K), in BLAS.
  public static func target(
    code u: UnsafePointer<Double>, x: UnsafePointer<Double>, samples n: Int, columns m: Int, atoms k: Int,
    into b: UnsafeMutablePointer<Double>
  ) {
    Double.gemm(transA: true, transB: false, m: k, n: m, k: n, alpha: 1, a: u, lda: k, b: x, ldb: m,
                beta: 0, c: b, ldc: m)
  }

  /// Atom `a`'s block before projection, `w = v_a + (B_a − Vᵀ A_a) / A_aa` (m), as
  /// `DictionaryUpdate.sweep` forms it from the block's `V_b` (K×m), `B_b` (K×m) and the usage
  /// `A = UᵀU` (K×K). Returns the block's largest entry and its sum, the first reduction of the
  /// atom's simplex projection.
  ///
  /// - Complexity: O(K·m).
  public static func atomStep(
    dictionary v: UnsafePointer<Double>, target b: UnsafePointer<Double>, usage: UnsafePointer<Double>,
    atom a: Int, atoms k: Int, columns m: Int, into w: UnsafeMutablePointer<Double>
  ) -> (largest: Double, sum: Double) {
    let scale = usage[a * k + a]
    Double.gemv(trans: true, m: k, n: m, alpha: 1, a: v, lda: m, x: usage + a * k, incx: 1, beta: 0, y: w, incy: 1)
    let row = v + a * m, bRow = b + a * m
    var largest = -Double.infinity, sum = 0.0
    for f in 0..<m {
      let value = row[f] + (bRow[f] - w[f]) / scale
      w[f] = value
      largest = Swift.max(largest, value)
      sum += value
    }
    return (largest, sum)
  }
}
