import CLossLens
import KMeans
import LossLensCore

// Sparse (CSR) k-means: fit from given centres (Lloyd or Elkan) and nearest-centre assignment, with
// the options of the dense ll_kmeans_fit / ll_kmeans_assign.

@_cdecl("ll_kmeans_sparse_fit_f64")
public func ll_kmeans_sparse_fit_f64(
  _ data: In<Double>, _ indices: In<Int32>, _ indptr: In<Int64>, _ n: Int64, _ d: Int64, _ nnz: Int64,
  _ weights: In<Double>, _ centers: InOut<Double>, _ k: Int64, _ options: In<ll_kmeans_fit_options>,
  _ labels: InOut<Int32>, _ inertia: InOut<Double>, _ nIter: InOut<Int64>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  sparseFit(data, indices, indptr, n, d, nnz, weights, centers, k, options, labels, inertia, nIter, err, errLength)
}

@_cdecl("ll_kmeans_sparse_fit_f32")
public func ll_kmeans_sparse_fit_f32(
  _ data: In<Float>, _ indices: In<Int32>, _ indptr: In<Int64>, _ n: Int64, _ d: Int64, _ nnz: Int64,
  _ weights: In<Float>, _ centers: InOut<Float>, _ k: Int64, _ options: In<ll_kmeans_fit_options>,
  _ labels: InOut<Int32>, _ inertia: InOut<Double>, _ nIter: InOut<Int64>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  sparseFit(data, indices, indptr, n, d, nnz, weights, centers, k, options, labels, inertia, nIter, err, errLength)
}

@_cdecl("ll_kmeans_sparse_assign_f64")
public func ll_kmeans_sparse_assign_f64(
  _ data: In<Double>, _ indices: In<Int32>, _ indptr: In<Int64>, _ n: Int64, _ d: Int64, _ nnz: Int64,
  _ weights: In<Double>, _ centers: In<Double>, _ k: Int64, _ options: In<ll_kmeans_assign_options>,
  _ labels: InOut<Int32>, _ inertia: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  sparseAssign(data, indices, indptr, n, d, nnz, weights, centers, k, options, labels, inertia, err, errLength)
}

@_cdecl("ll_kmeans_sparse_assign_f32")
public func ll_kmeans_sparse_assign_f32(
  _ data: In<Float>, _ indices: In<Int32>, _ indptr: In<Int64>, _ n: Int64, _ d: Int64, _ nnz: Int64,
  _ weights: In<Float>, _ centers: In<Float>, _ k: Int64, _ options: In<ll_kmeans_assign_options>,
  _ labels: InOut<Int32>, _ inertia: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  sparseAssign(data, indices, indptr, n, d, nnz, weights, centers, k, options, labels, inertia, err, errLength)
}

private func sparseProblem<T: LossLensReal>(
  _ data: In<T>, _ indices: In<Int32>, _ indptr: In<Int64>, _ n: Int64, _ d: Int64, _ nnz: Int64,
  _ weights: In<T>, _ nThreads: Int32
) throws(LossLensError) -> SparseKMeansProblem<T> {
  let (rows, cols) = try matrixShape(n, d, "X")
  guard nnz >= 0 else { throw .invalid("X: nnz must be >= 0 (got \(nnz))") }
  return try SparseKMeansProblem(
    data: try required(data, "data"), indices: try required(indices, "indices"), indptr: try required(indptr, "indptr"),
    nnz: Int(nnz), weights: try required(weights, "sample_weight"), n: rows, d: cols,
    threads: Threading.resolve(nJobs: Int(nThreads)))
}

private func sparseFit<T: LossLensReal>(
  _ data: In<T>, _ indices: In<Int32>, _ indptr: In<Int64>, _ n: Int64, _ d: Int64, _ nnz: Int64,
  _ weights: In<T>, _ centers: InOut<T>, _ k: Int64, _ options: In<ll_kmeans_fit_options>,
  _ labels: InOut<Int32>, _ inertia: InOut<Double>, _ nIter: InOut<Int64>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let problem = try sparseProblem(data, indices, indptr, n, d, nnz, weights, o.n_threads)
    guard k >= 1 else { throw .invalid("n_clusters must be >= 1 (got \(k))") }
    _ = try matrixShape(k, d, "cluster_centers")
    let c = try required(centers, "init"), l = try required(labels, "labels")
    guard Matrix.allFinite(c, count: Int(k) * problem.d) else { throw .invalid("init contains NaN or infinity") }
    let maxIterations = Int(clamping: o.max_iter)
    let run: KMeansRun
    switch o.algorithm {
    case LL_KMEANS_LLOYD:
      run = try problem.lloyd(centers: c, k: Int(k), maxIterations: maxIterations, tol: o.tol, labels: l)
    case LL_KMEANS_ELKAN:
      run = try problem.elkan(centers: c, k: Int(k), maxIterations: maxIterations, tol: o.tol, labels: l)
    default: throw unknownCode("algorithm", o.algorithm, expected: "0 (LL_KMEANS_LLOYD) or 1 (LL_KMEANS_ELKAN)")
    }
    try required(inertia, "inertia").pointee = run.inertia
    try required(nIter, "n_iter").pointee = Int64(run.iterations)
  }
}

private func sparseAssign<T: LossLensReal>(
  _ data: In<T>, _ indices: In<Int32>, _ indptr: In<Int64>, _ n: Int64, _ d: Int64, _ nnz: Int64,
  _ weights: In<T>, _ centers: In<T>, _ k: Int64, _ options: In<ll_kmeans_assign_options>,
  _ labels: InOut<Int32>, _ inertia: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let problem = try sparseProblem(data, indices, indptr, n, d, nnz, weights, o.n_threads)
    _ = try matrixShape(k, d, "cluster_centers")
    let value = try problem.assign(
      centers: try required(centers, "centers"), k: Int(k), labels: try required(labels, "labels"))
    try required(inertia, "inertia").pointee = value
  }
}
