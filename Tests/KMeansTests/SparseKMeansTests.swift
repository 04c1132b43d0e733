import KMeans
import LossLensCore
import XCTest

/// The CSR kernels against the dense ones on the same matrix, and their input checks.
final class SparseKMeansTests: XCTestCase {
  /// A sparse n × d matrix (about a quarter of the entries stored) from three column groups, dense and CSR.
  func sample(_ n: Int, _ d: Int) -> (dense: [Double], data: [Double], indices: [Int32], indptr: [Int64]) {
    var rng = Xoshiro256(seed: 7)
    var dense = [Double](repeating: 0, count: n * d)
    var data = [Double](), indices = [Int32](), indptr: [Int64] = [0]
    for i in 0..<n {
      for c in 0..<d where (c % 3 == i % 3) || rng.nextUnit() < 0.1 {
        let v = 1 + rng.nextUnit()
        dense[i * d + c] = v
        data.append(v)
        indices.append(Int32(c))
      }
      indptr.append(Int64(data.count))
    }
    return (dense, data, indices, indptr)
  }

  func testLloydAndElkanOnCSREqualTheDenseKernels() throws {
    let (n, d, k) = (300, 12, 3)
    let s = sample(n, d)
    let weights = [Double](repeating: 1, count: n)
    for elkan in [false, true] {
      var denseCenters = Array(s.dense[0..<(k * d)]), sparseCenters = denseCenters
      var denseLabels = [Int32](repeating: 0, count: n), sparseLabels = denseLabels
      let denseRun = try s.dense.withUnsafeBufferPointer { x in
        try weights.withUnsafeBufferPointer { w in
          let problem = try KMeansProblem(x: x.baseAddress!, weights: w.baseAddress!, n: n, d: d, threads: 1)
          return elkan
            ? try problem.elkan(centers: &denseCenters, k: k, maxIterations: 50, tol: 0, labels: &denseLabels)
            : try problem.lloyd(centers: &denseCenters, k: k, maxIterations: 50, tol: 0, labels: &denseLabels)
        }
      }
      let sparseRun = try s.data.withUnsafeBufferPointer { x in
        try weights.withUnsafeBufferPointer { w in
          let problem = try SparseKMeansProblem(
            data: x.baseAddress!, indices: s.indices, indptr: s.indptr, nnz: s.data.count, weights: w.baseAddress!,
            n: n, d: d, threads: 2)
          return elkan
            ? try problem.elkan(centers: &sparseCenters, k: k, maxIterations: 50, tol: 0, labels: &sparseLabels)
            : try problem.lloyd(centers: &sparseCenters, k: k, maxIterations: 50, tol: 0, labels: &sparseLabels)
        }
      }
      XCTAssertEqual(sparseLabels, denseLabels)
      XCTAssertEqual(sparseRun.iterations, denseRun.iterations)
      XCTAssertEqual(sparseRun.inertia, denseRun.inertia, accuracy: 1e-9 * denseRun.inertia)
      for (a, b) in zip(sparseCenters, denseCenters) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }
  }

  func testInconsistentStructureThrows() {
    let data: [Double] = [1, 2], weights: [Double] = [1, 1]
    let cases: [([Int32], [Int64])] = [([0, 5], [0, 1, 2]), ([0, 1], [0, 2, 1]), ([0, 1], [1, 1, 2])]
    for (indices, indptr) in cases {
      XCTAssertThrowsError(
        try SparseKMeansProblem(
          data: data, indices: indices, indptr: indptr, nnz: 2, weights: weights, n: 2, d: 3, threads: 1))
    }
  }
}
