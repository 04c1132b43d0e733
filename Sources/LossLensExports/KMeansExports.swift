import CLossLens
import KMeans
import LossLensCore

// k-means: fit from given centres (Lloyd or Elkan), k-means++ seeding, nearest-centre assignment.

@_cdecl("ll_kmeans_fit_options_init")
public func ll_kmeans_fit_options_init(_ options: InOut<ll_kmeans_fit_options>) {
  options?.pointee = ll_kmeans_fit_options(algorithm: LL_KMEANS_LLOYD, max_iter: 300, tol: 0, n_threads: 0)
}

@_cdecl("ll_kmeans_fit_f64")
public func ll_kmeans_fit_f64(
  _ x: In<Double>, _ n: Int64, _ d: Int64, _ weights: In<Double>, _ centers: InOut<Double>, _ k: Int64,
  _ options: In<ll_kmeans_fit_options>, _ labels: InOut<Int32>, _ inertia: InOut<Double>, _ nIter: InOut<Int64>,
  _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  kmeansFit(x, n, d, weights, centers, k, options, labels, inertia, nIter, err, errLength)
}

@_cdecl("ll_kmeans_fit_f32")
public func ll_kmeans_fit_f32(
  _ x: In<Float>, _ n: Int64, _ d: Int64, _ weights: In<Float>, _ centers: InOut<Float>, _ k: Int64,
  _ options: In<ll_kmeans_fit_options>, _ labels: InOut<Int32>, _ inertia: InOut<Double>, _ nIter: InOut<Int64>,
  _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  kmeansFit(x, n, d, weights, centers, k, options, labels, inertia, nIter, err, errLength)
}

@_cdecl("ll_kmeans_plusplus_options_init")
public func ll_kmeans_plusplus_options_init(_ options: InOut<ll_kmeans_plusplus_options>) {
  options?.pointee = ll_kmeans_plusplus_options(n_local_trials: 0, seed: 0, n_threads: 0)
}

@_cdecl("ll_kmeans_plusplus_f64")
public func ll_kmeans_plusplus_f64(
  _ x: In<Double>, _ n: Int64, _ d: Int64, _ weights: In<Double>, _ k: Int64,
  _ options: In<ll_kmeans_plusplus_options>, _ centers: InOut<Double>, _ indices: InOut<Int64>, _ err: InOut<CChar>,
  _ errLength: Int64
) -> Int32 {
  kmeansPlusPlus(x, n, d, weights, k, options, centers, indices, err, errLength)
}

@_cdecl("ll_kmeans_plusplus_f32")
public func ll_kmeans_plusplus_f32(
  _ x: In<Float>, _ n: Int64, _ d: Int64, _ weights: In<Float>, _ k: Int64, _ options: In<ll_kmeans_plusplus_options>,
  _ centers: InOut<Float>, _ indices: InOut<Int64>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  kmeansPlusPlus(x, n, d, weights, k, options, centers, indices, err, errLength)
}

@_cdecl("ll_kmeans_assign_options_init")
public func ll_kmeans_assign_options_init(_ options: InOut<ll_kmeans_assign_options>) {
  options?.pointee = ll_kmeans_assign_options(n_threads: 0)
}

@_cdecl("ll_kmeans_assign_f64")
public func ll_kmeans_assign_f64(
  _ x: In<Double>, _ n: Int64, _ d: Int64, _ weights: In<Double>, _ centers: In<Double>, _ k: Int64,
  _ options: In<ll_kmeans_assign_options>, _ labels: InOut<Int32>, _ inertia: InOut<Double>, _ err: InOut<CChar>,
  _ errLength: Int64
) -> Int32 {
  kmeansAssign(x, n, d, weights, centers, k, options, labels, inertia, err, errLength)
}

@_cdecl("ll_kmeans_assign_f32")
public func ll_kmeans_assign_f32(
  _ x: In<Float>, _ n: Int64, _ d: Int64, _ weights: In<Float>, _ centers: In<Float>, _ k: Int64,
  _ options: In<ll_kmeans_assign_options>, _ labels: InOut<Int32>, _ inertia: InOut<Double>, _ err: InOut<CChar>,
  _ errLength: Int64
) -> Int32 {
  kmeansAssign(x, n, d, weights, centers, k, options, labels, inertia, err, errLength)
}

private func kmeansProblem<T: LossLensReal>(
  _ x: In<T>, _ n: Int64, _ d: Int64, _ weights: In<T>, _ nThreads: Int32
) throws(LossLensError) -> KMeansProblem<T> {
  let (rows, cols) = try matrixShape(n, d, "X")
  return try KMeansProblem(
    x: try required(x, "X"), weights: try required(weights, "sample_weight"), n: rows, d: cols,
    threads: threads(nThreads))
}

private func clusterCount(_ k: Int64, _ d: Int64) throws(LossLensError) -> Int {
  guard k >= 1 else { throw .invalid("n_clusters must be >= 1 (got \(k))") }
  _ = try matrixShape(k, d, "cluster_centers")
  return Int(k)
}

private func kmeansFit<T: LossLensReal>(
  _ x: In<T>, _ n: Int64, _ d: Int64, _ weights: In<T>, _ centers: InOut<T>, _ k: Int64,
  _ options: In<ll_kmeans_fit_options>, _ labels: InOut<Int32>, _ inertia: InOut<Double>, _ nIter: InOut<Int64>,
  _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let problem = try kmeansProblem(x, n, d, weights, o.n_threads)
    let clusters = try clusterCount(k, d)
    let c = try required(centers, "init"), l = try required(labels, "labels")
    guard Matrix.allFinite(c, count: clusters * problem.d) else { throw .invalid("init contains NaN or infinity") }
    let maxIterations = Int(clamping: o.max_iter)
    let run: KMeansRun
    switch o.algorithm {
    case LL_KMEANS_LLOYD:
      run = try problem.lloyd(centers: c, k: clusters, maxIterations: maxIterations, tol: o.tol, labels: l)
    case LL_KMEANS_ELKAN:
      run = try problem.elkan(centers: c, k: clusters, maxIterations: maxIterations, tol: o.tol, labels: l)
    default: throw unknownCode("algorithm", o.algorithm, expected: "0 (LL_KMEANS_LLOYD) or 1 (LL_KMEANS_ELKAN)")
    }
    try required(inertia, "inertia").pointee = run.inertia
    try required(nIter, "n_iter").pointee = Int64(run.iterations)
  }
}

private func kmeansPlusPlus<T: LossLensReal>(
  _ x: In<T>, _ n: Int64, _ d: Int64, _ weights: In<T>, _ k: Int64, _ options: In<ll_kmeans_plusplus_options>,
  _ centers: InOut<T>, _ indices: InOut<Int64>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let problem = try kmeansProblem(x, n, d, weights, o.n_threads)
    let clusters = try clusterCount(k, d)
    guard o.n_local_trials >= 0 else { throw .invalid("n_local_trials must be >= 0 (got \(o.n_local_trials))") }
    let trials = o.n_local_trials == 0 ? 2 + Int(log(Double(clusters))) : Int(clamping: o.n_local_trials)
    try problem.plusPlus(
      k: clusters, localTrials: trials, seed: o.seed,
      centers: try required(centers, "centers"), indices: try required(indices, "indices"))
  }
}

private func kmeansAssign<T: LossLensReal>(
  _ x: In<T>, _ n: Int64, _ d: Int64, _ weights: In<T>, _ centers: In<T>, _ k: Int64,
  _ options: In<ll_kmeans_assign_options>, _ labels: InOut<Int32>, _ inertia: InOut<Double>, _ err: InOut<CChar>,
  _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let problem = try kmeansProblem(x, n, d, weights, try readOptions(options).n_threads)
    let value = try problem.assign(
      centers: try required(centers, "centers"), k: try clusterCount(k, d), labels: try required(labels, "labels"))
    try required(inertia, "inertia").pointee = value
  }
}
