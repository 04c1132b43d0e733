import LossLensCore

/// The data of one k-means problem on a CSR matrix (KMeans [sparse rows]): `n` weighted rows of width `d` whose stored
/// entries are `data[indptr[i] ..< indptr[i + 1]]` at columns `indices[...]` (caller-owned buffers).
///
/// Distances to dense centres are row-wise sparse dot products, summed in stored order as
/// scikit-learn's `_k_means_lloyd.pyx` and `_k_means_common.pyx` sum them.
public struct SparseKMeansProblem<T: LossLensReal>: @unchecked Sendable {
  /// Stored values.
  public let data: UnsafePointer<T>
  /// Column of each stored value.
  public let indices: UnsafePointer<Int32>
  /// Row starts, `n + 1` entries.
  public let indptr: UnsafePointer<Int64>
  /// One non-negative weight per row.
  public let weights: UnsafePointer<T>
  /// Number of rows.
  public let n: Int
  /// Number of columns.
  public let d: Int
  /// Threads used by the kernels.
  public let threads: Int

  /// Wraps checked buffers; throws on an inconsistent structure, non-finite values or negative weights.
  ///
  /// - Complexity: O(n + nnz).
  public init(
    data: UnsafePointer<T>, indices: UnsafePointer<Int32>, indptr: UnsafePointer<Int64>, nnz: Int,
    weights: UnsafePointer<T>, n: Int, d: Int, threads: Int
  ) throws(LossLensError) {
    guard n > 0, d > 0 else { throw .invalid("X must not be empty (got shape (\(n), \(d)))") }
    guard indptr[0] == 0, indptr[n] == Int64(nnz) else { throw .invalid("X: indptr must run from 0 to nnz") }
    for i in 0..<n where indptr[i + 1] < indptr[i] { throw .invalid("X: indptr must be non-decreasing") }
    for p in 0..<nnz where indices[p] < 0 || Int(indices[p]) >= d {
      throw .invalid("X: column index \(indices[p]) out of range for \(d) columns")
    }
    guard Matrix.allFinite(data, count: nnz) else { throw .invalid("X contains NaN or infinity") }
    guard Matrix.allFinite(weights, count: n) else { throw .invalid("sample_weight contains NaN or infinity") }
    for i in 0..<n where weights[i] < 0 { throw .invalid("sample_weight must be non-negative") }
    self.data = data
    self.indices = indices
    self.indptr = indptr
    self.weights = weights
    self.n = n
    self.d = d
    self.threads = max(1, threads)
  }

  /// Stored entries of row `i`.
  @inline(__always) func entries(_ i: Int) -> Range<Int> { Int(indptr[i])..<Int(indptr[i + 1]) }

  /// `‖xᵢ − c‖²` from the stored entries and `‖c‖²`, clipped at 0 (scikit-learn's
  /// `_euclidean_sparse_dense`).
  ///
  /// - Complexity: O(nnz of row i).
  @inline(__always) func squaredDistance(row i: Int, to c: UnsafePointer<T>, norm: T) -> T {
    var s: T = 0
    for p in entries(i) {
      let b = c[Int(indices[p])]
      let t = data[p] - b
      s += t * t - b * b
    }
    s += norm
    return s < 0 ? 0 : s
  }

  /// `‖cⱼ‖²` of each of the `k` centres.
  func centerNorms(_ centers: UnsafePointer<T>, k: Int) -> [T] {
    (0..<k).map { j in T.dot(n: d, x: centers + j * d, incx: 1, y: centers + j * d, incy: 1) }
  }

  /// Lloyd's E-step: each row's nearest centre by `‖c‖² − 2 x·c` (first minimum wins). The dot
  /// products with all centres accumulate together along the row's entries in a `d × k` transposed
  /// copy of the centres, each in the stored order.
  ///
  /// - Complexity: O(nnz·k + k·d).
  func assignLabels(centers: UnsafePointer<T>, k: Int, labels: UnsafeMutablePointer<Int32>) {
    let norms = centerNorms(centers, k: k)
    let transposed = UnsafeMutableBufferPointer<T>.allocate(capacity: k * d)
    defer { transposed.deallocate() }
    for j in 0..<k {
      for c in 0..<d { transposed[c * k + j] = centers[j * d + c] }
    }
    let ct = UnsafePointer(transposed.baseAddress!)
    norms.withUnsafeBufferPointer { norm in
      parallelFor(n, grain: 256, threads: threads) { range in
        let dots = UnsafeMutablePointer<T>.allocate(capacity: k)
        defer { dots.deallocate() }
        for i in range {
          dots.update(repeating: 0, count: k)
          for p in entries(i) {
            let v = data[p]
            let column = ct + Int(indices[p]) * k
            for j in 0..<k { dots[j] += column[j] * v }
          }
          var best = 0
          var bestValue = T.greatestFiniteMagnitude
          for j in 0..<k {
            let value = norm[j] - 2 * dots[j]
            if value < bestValue {
              bestValue = value
              best = j
            }
          }
          labels[i] = Int32(best)
        }
      }
    }
  }

  /// M-step: the weighted mean of each cluster's rows into `new`, empty clusters relocated as
  /// scikit-learn does, and each centre's displacement in `shift`. The clusters are split over the
  /// threads; each thread adds its clusters' rows in row order, so the sums do not depend on the
  /// number of threads.
  ///
  /// - Complexity: O(n·threads + nnz + k·d).
  func updateCenters(
    old: UnsafePointer<T>, new: UnsafeMutablePointer<T>, k: Int, labels: UnsafePointer<Int32>,
    shift: UnsafeMutablePointer<T>
  ) {
    let weightIn = UnsafeMutableBufferPointer<T>.allocate(capacity: k)
    defer { weightIn.deallocate() }
    new.update(repeating: 0, count: k * d)
    weightIn.update(repeating: 0)
    parallelFor(k, grain: (k + threads - 1) / threads, threads: threads) { clusters in
      for i in 0..<n {
        let label = Int(labels[i])
        guard clusters.contains(label) else { continue }
        let w = weights[i]
        weightIn[label] += w
        let row = new + label * d
        for p in entries(i) { row[Int(indices[p])] += data[p] * w }
      }
    }
    relocateEmpty(old: old, new: new, weightIn: weightIn, k: k, labels: labels)
    averageCenters(old: old, new: new, weightIn: weightIn.baseAddress!, k: k, d: d, shift: shift)
  }

  /// Gives each empty cluster the row farthest from its (old) centre, whose weight leaves its
  /// cluster; nothing when every row sits on its centre (scikit-learn's `_relocate_empty_clusters_sparse`).
  ///
  /// - Complexity: O(nnz + n·empty).
  func relocateEmpty(
    old: UnsafePointer<T>, new: UnsafeMutablePointer<T>, weightIn: UnsafeMutableBufferPointer<T>, k: Int,
    labels: UnsafePointer<Int32>
  ) {
    let empty = (0..<k).filter { weightIn[$0] == 0 }
    guard !empty.isEmpty else { return }
    let norms = centerNorms(old, k: k)
    var distance = [T](repeating: 0, count: n)
    for i in 0..<n {
      let j = Int(labels[i])
      distance[i] = squaredDistance(row: i, to: old + j * d, norm: norms[j])
    }
    guard let peak = distance.max(), peak > 0 else { return }
    let far = (0..<n).sorted { distance[$0] > distance[$1] || (distance[$0] == distance[$1] && $0 < $1) }
    for (cluster, row) in zip(empty, far) {
      let w = weights[row]
      let from = Int(labels[row])
      for p in entries(row) {
        let c = Int(indices[p])
        new[from * d + c] -= data[p] * w
        new[cluster * d + c] = data[p] * w
      }
      weightIn[cluster] = w
      weightIn[from] -= w
    }
  }

  /// Σᵢ wᵢ ‖xᵢ − c_{labelᵢ}‖², accumulated in double precision.
  ///
  /// - Complexity: O(nnz + k·d).
  public func inertia(centers: UnsafePointer<T>, k: Int, labels: UnsafePointer<Int32>) -> Double {
    let norms = centerNorms(centers, k: k)
    let blocks = min(64, n)
    var partial = [Double](repeating: 0, count: blocks)
    partial.withUnsafeMutableBufferPointer { sums in
      parallelFor(blocks, grain: 1, threads: threads) { range in
        for b in range {
          var s = 0.0
          for i in (b * n / blocks)..<((b + 1) * n / blocks) {
            let j = Int(labels[i])
            s += Double(weights[i]) * Double(squaredDistance(row: i, to: centers + j * d, norm: norms[j]))
          }
          sums[b] = s
        }
      }
    }
    return partial.reduce(0, +)
  }

  /// Lloyd's algorithm from `centers` (`k × d`, overwritten with the result) with scikit-learn's
  /// stopping rules (see `KMeansLoop`).
  ///
  /// - Complexity: O(iterations · (nnz·k + k·d)).
  public func lloyd(
    centers: UnsafeMutablePointer<T>, k: Int, maxIterations: Int, tol: Double, labels: UnsafeMutablePointer<Int32>
  ) throws(LossLensError) -> KMeansRun {
    try KMeansLoop.check(n: n, k: k, maxIterations: maxIterations, tol: tol)
    return try KMeansLoop.run(
      centers: centers, n: n, k: k, d: d, maxIterations: maxIterations, tol: tol, labels: labels,
      inertia: { c, l in inertia(centers: c, k: k, labels: l) }
    ) { old, new, shift, update in
      assignLabels(centers: old, k: k, labels: labels)
      if update { updateCenters(old: old, new: new, k: k, labels: labels, shift: shift) }
    }
  }

  /// Nearest-centre labels of every row and the inertia (`predict` / `score`).
  ///
  /// - Complexity: O(nnz·k + k·d).
  public func assign(centers: UnsafePointer<T>, k: Int, labels: UnsafeMutablePointer<Int32>) throws(LossLensError)
    -> Double
  {
    guard k >= 1 else { throw .invalid("n_clusters must be >= 1 (got \(k))") }
    guard Matrix.allFinite(centers, count: k * d) else { throw .invalid("cluster centres contain NaN or infinity") }
    assignLabels(centers: centers, k: k, labels: labels)
    return inertia(centers: centers, k: k, labels: labels)
  }
}
