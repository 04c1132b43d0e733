import LossLensCore

extension CoreDistances {
  /// Euclidean core distances with the heavy work in BLAS: for a block of rows, `X_B Xᵀ` (gemm)
  /// gives approximate squared distances `‖a‖² + ‖b‖² − 2a·b`; every point within a rounding margin
  /// of the k-th approximate value is then re-measured exactly (feature-order sum, as the k-d tree
  /// and the references do), so the result equals the exhaustive search bit for bit.
  ///
  /// - Complexity: O(n² · dim) flops in gemm, O(n²) selection work, O(threads · block · n) memory.
  public static func euclideanBlocked(
    _ x: UnsafePointer<Double>, count n: Int, dim: Int, minSamples k: Int,
    into out: UnsafeMutablePointer<Double>, threads: Int
  ) throws(LossLensError) {
    guard k >= 0, k < n else { throw .invalid("min_samples must be < n_samples") }
    let norms = UnsafeMutablePointer<Double>.allocate(capacity: n)
    defer { norms.deallocate() }
    var largest = 0.0
    for i in 0..<n {
      norms[i] = Double.dot(n: dim, x: x + i * dim, incx: 1, y: x + i * dim, incy: 1)
      largest = Swift.max(largest, norms[i])
    }
    let block = 64
    let blocks = (n + block - 1) / block
    let metric = EuclideanMetric()
    var cancelled = false
    parallelFor(blocks, threads: threads) { range in
      let gram = UnsafeMutablePointer<Double>.allocate(capacity: block * n)
      let approx = UnsafeMutablePointer<Double>.allocate(capacity: n)
      var best = [Double](repeating: .infinity, count: k + 1)
      defer { gram.deallocate(); approx.deallocate() }
      for b in range {
        if Cancellation.isRequested { cancelled = true; return }
        let first = b * block, rows = Swift.min(block, n - first)
        Double.gemm(transA: false, transB: true, m: rows, n: n, k: dim, alpha: 1, a: x + first * dim, lda: dim,
                    b: x, ldb: dim, beta: 0, c: gram, ldc: n)
        for r in 0..<rows {
          let i = first + r
          for j in 0..<n { approx[j] = norms[i] + norms[j] - 2 * gram[r * n + j] }
          approx[i] = 0
          // The (k+1)-th smallest approximate squared distance, the point itself included.
          for t in 0...k { best[t] = .infinity }
          for j in 0..<n where approx[j] < best[k] {
            var s = k
            while s > 0 && best[s - 1] > approx[j] { best[s] = best[s - 1]; s -= 1 }
            best[s] = approx[j]
          }
          // Rounding of the gemm formula is far below this margin (relative 1e-10 of the norms).
          let cutoff = best[k] + 1e-10 * (norms[i] + largest) + 1e-300
          for t in 0...k { best[t] = .infinity }
          for j in 0..<n where approx[j] <= cutoff {
            let d = j == i ? 0 : metric.distance(x + i * dim, x + j * dim, dim: dim)
            guard d < best[k] else { continue }
            var s = k
            while s > 0 && best[s - 1] > d { best[s] = best[s - 1]; s -= 1 }
            best[s] = d
          }
          out[i] = best[k]
        }
      }
    }
    if cancelled { throw LossLensError(.cancelled, "interrupted") }
  }
}
