import KMeans
import LossLensCore

// k-means: fit from given centres (Lloyd or Elkan), k-means++ seeding, nearest-centre assignment.

@_cdecl("ll_kmeans_fit_f64")
public func ll_kmeans_fit_f64(
  _ x: UnsafePointer<Double>?, _ n: Int64, _ d: Int64, _ weights: UnsafePointer<Double>?,
  _ centers: UnsafeMutablePointer<Double>?, _ k: Int64, _ algorithm: Int32, _ maxIter: Int64, _ tol: Double,
  _ labels: UnsafeMutablePointer<Int32>?, _ inertia: UnsafeMutablePointer<Double>?,
  _ nIter: UnsafeMutablePointer<Int64>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  kmeansFit(x, n, d, weights, centers, k, algorithm, maxIter, tol, labels, inertia, nIter, nThreads, err, errLength)
}

@_cdecl("ll_kmeans_fit_f32")
public func ll_kmeans_fit_f32(
  _ x: UnsafePointer<Float>?, _ n: Int64, _ d: Int64, _ weights: UnsafePointer<Float>?,
  _ centers: UnsafeMutablePointer<Float>?, _ k: Int64, _ algorithm: Int32, _ maxIter: Int64, _ tol: Double,
  _ labels: UnsafeMutablePointer<Int32>?, _ inertia: UnsafeMutablePointer<Double>?,
  _ nIter: UnsafeMutablePointer<Int64>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  kmeansFit(x, n, d, weights, centers, k, algorithm, maxIter, tol, labels, inertia, nIter, nThreads, err, errLength)
}

@_cdecl("ll_kmeans_plusplus_f64")
public func ll_kmeans_plusplus_f64(
  _ x: UnsafePointer<Double>?, _ n: Int64, _ d: Int64, _ weights: UnsafePointer<Double>?, _ k: Int64,
  _ localTrials: Int64, _ seed: UInt64, _ centers: UnsafeMutablePointer<Double>?,
  _ indices: UnsafeMutablePointer<Int64>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  kmeansPlusPlus(x, n, d, weights, k, localTrials, seed, centers, indices, nThreads, err, errLength)
}

@_cdecl("ll_kmeans_plusplus_f32")
public func ll_kmeans_plusplus_f32(
  _ x: UnsafePointer<Float>?, _ n: Int64, _ d: Int64, _ weights: UnsafePointer<Float>?, _ k: Int64,
  _ localTrials: Int64, _ seed: UInt64, _ centers: UnsafeMutablePointer<Float>?,
  _ indices: UnsafeMutablePointer<Int64>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  kmeansPlusPlus(x, n, d, weights, k, localTrials, seed, centers, indices, nThreads, err, errLength)
}

@_cdecl("ll_kmeans_assign_f64")
public func ll_kmeans_assign_f64(
  _ x: UnsafePointer<Double>?, _ n: Int64, _ d: Int64, _ weights: UnsafePointer<Double>?,
  _ centers: UnsafePointer<Double>?, _ k: Int64, _ labels: UnsafeMutablePointer<Int32>?,
  _ inertia: UnsafeMutablePointer<Double>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  kmeansAssign(x, n, d, weights, centers, k, labels, inertia, nThreads, err, errLength)
}

@_cdecl("ll_kmeans_assign_f32")
public func ll_kmeans_assign_f32(
  _ x: UnsafePointer<Float>?, _ n: Int64, _ d: Int64, _ weights: UnsafePointer<Float>?,
  _ centers: UnsafePointer<Float>?, _ k: Int64, _ labels: UnsafeMutablePointer<Int32>?,
  _ inertia: UnsafeMutablePointer<Double>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  kmeansAssign(x, n, d, weights, centers, k, labels, inertia, nThreads, err, errLength)
}

private func kmeansProblem<T: LossLensReal>(
  _ x: UnsafePointer<T>?, _ n: Int64, _ d: Int64, _ weights: UnsafePointer<T>?, _ nThreads: Int32
) throws(LossLensError) -> KMeansProblem<T> {
  let (rows, cols) = try matrixShape(n, d, "X")
  return try KMeansProblem(
    x: try required(x, "X"), weights: try required(weights, "sample_weight"), n: rows, d: cols,
    threads: Threading.resolve(nJobs: Int(nThreads)))
}

private func clusterCount(_ k: Int64, _ d: Int64) throws(LossLensError) -> Int {
  guard k >= 1 else { throw .invalid("n_clusters must be >= 1 (got \(k))") }
  _ = try matrixShape(k, d, "cluster_centers")
  return Int(k)
}

private func kmeansFit<T: LossLensReal>(
  _ x: UnsafePointer<T>?, _ n: Int64, _ d: Int64, _ weights: UnsafePointer<T>?,
  _ centers: UnsafeMutablePointer<T>?, _ k: Int64, _ algorithm: Int32, _ maxIter: Int64, _ tol: Double,
  _ labels: UnsafeMutablePointer<Int32>?, _ inertia: UnsafeMutablePointer<Double>?,
  _ nIter: UnsafeMutablePointer<Int64>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let problem = try kmeansProblem(x, n, d, weights, nThreads)
    let clusters = try clusterCount(k, d)
    let c = try required(centers, "init"), l = try required(labels, "labels")
    guard Matrix.allFinite(c, count: clusters * problem.d) else { throw .invalid("init contains NaN or infinity") }
    let iterations = Int(clamping: maxIter)
    let run: KMeansRun
    switch algorithm {
    case 0: run = try problem.lloyd(centers: c, k: clusters, maxIterations: iterations, tol: tol, labels: l)
    case 1: run = try problem.elkan(centers: c, k: clusters, maxIterations: iterations, tol: tol, labels: l)
    default: throw .invalid("algorithm must be 0 (lloyd) or 1 (elkan), got \(algorithm)")
    }
    try required(inertia, "inertia").pointee = run.inertia
    try required(nIter, "n_iter").pointee = Int64(run.iterations)
  }
}

private func kmeansPlusPlus<T: LossLensReal>(
  _ x: UnsafePointer<T>?, _ n: Int64, _ d: Int64, _ weights: UnsafePointer<T>?, _ k: Int64,
  _ localTrials: Int64, _ seed: UInt64, _ centers: UnsafeMutablePointer<T>?,
  _ indices: UnsafeMutablePointer<Int64>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let problem = try kmeansProblem(x, n, d, weights, nThreads)
    try problem.plusPlus(
      k: try clusterCount(k, d), localTrials: Int(clamping: localTrials), seed: seed,
      centers: try required(centers, "centers"), indices: try required(indices, "indices"))
  }
}

private func kmeansAssign<T: LossLensReal>(
  _ x: UnsafePointer<T>?, _ n: Int64, _ d: Int64, _ weights: UnsafePointer<T>?,
  _ centers: UnsafePointer<T>?, _ k: Int64, _ labels: UnsafeMutablePointer<Int32>?,
  _ inertia: UnsafeMutablePointer<Double>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let problem = try kmeansProblem(x, n, d, weights, nThreads)
    let value = try problem.assign(
      centers: try required(centers, "centers"), k: try clusterCount(k, d), labels: try required(labels, "labels"))
    try required(inertia, "inertia").pointee = value
  }
}
