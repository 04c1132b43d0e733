import Lanczos
import LossLensCore

// Reverse-communication Lanczos: the solver state lives in a Swift object behind an opaque handle;
// the caller applies the operator between `ll_lanczos_step` calls. Every pointer argument is used
// only during the call that receives it (the solver copies v0 and the deflation basis).

@_cdecl("ll_lanczos_create")
public func ll_lanczos_create(
  _ n: Int64, _ k: Int64, _ which: Int32, _ tol: Double, _ maxRestarts: Int64, _ ncv: Int64, _ seed: UInt64,
  _ v0: UnsafePointer<Double>?, _ deflate: UnsafePointer<Double>?, _ p: Int64,
  _ handle: UnsafeMutablePointer<OpaquePointer?>?,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let out = try required(handle, "handle")
    out.pointee = nil
    let solver = try makeSolver(n, k, which, tol, maxRestarts, ncv, seed, v0, deflate, p)
    out.pointee = OpaquePointer(Unmanaged.passRetained(solver).toOpaque())
  }
}

@_cdecl("ll_lanczos_step")
public func ll_lanczos_step(
  _ handle: OpaquePointer?, _ y: UnsafePointer<Double>?, _ x: UnsafeMutablePointer<Double>?,
  _ needProduct: UnsafeMutablePointer<Int32>?,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let solver = try solverBehind(handle)
    let need = try required(needProduct, "need_product")
    need.pointee = try solver.step(product: y, request: try required(x, "x")).rawValue
  }
}

@_cdecl("ll_lanczos_result")
public func ll_lanczos_result(
  _ handle: OpaquePointer?, _ values: UnsafeMutablePointer<Double>?, _ vectors: UnsafeMutablePointer<Double>?,
  _ residuals: UnsafeMutablePointer<Double>?, _ info: UnsafeMutablePointer<Int64>?,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    try writeResult(try solverBehind(handle), values, vectors, residuals, info)
  }
}

@_cdecl("ll_lanczos_destroy")
public func ll_lanczos_destroy(_ handle: OpaquePointer?) {
  guard let handle else { return }
  Unmanaged<LanczosSolver>.fromOpaque(UnsafeRawPointer(handle)).release()
}

@_cdecl("ll_lanczos_dense")
public func ll_lanczos_dense(
  _ a: UnsafePointer<Double>?, _ n: Int64, _ k: Int64, _ which: Int32, _ tol: Double, _ maxRestarts: Int64,
  _ ncv: Int64, _ seed: UInt64, _ v0: UnsafePointer<Double>?, _ deflate: UnsafePointer<Double>?, _ p: Int64,
  _ values: UnsafeMutablePointer<Double>?, _ vectors: UnsafeMutablePointer<Double>?,
  _ residuals: UnsafeMutablePointer<Double>?, _ info: UnsafeMutablePointer<Int64>?,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (rows, _) = try matrixShape(n, n, "A")
    let options = try lanczosOptions(k, which, tol, maxRestarts, ncv, seed)
    let solver = try LanczosSolver.solveDense(
      try required(a, "A"), dimension: rows, options: options, start: v0, deflation: deflate,
      deflationCount: try deflationCount(p))
    try writeResult(solver, values, vectors, residuals, info)
  }
}

private func lanczosOptions(
  _ k: Int64, _ which: Int32, _ tol: Double, _ maxRestarts: Int64, _ ncv: Int64, _ seed: UInt64
) throws(LossLensError) -> LanczosOptions {
  guard let target = LanczosTarget(rawValue: which) else { throw .invalid("which must be 0 (LA), 1 (LM) or 2 (SA), got \(which)") }
  guard k >= 1, k < Int64(Int32.max) else { throw .invalid("k must be >= 1 (got \(k))") }
  guard ncv >= 0, ncv < Int64(Int32.max) else { throw .invalid("ncv must be >= 0 (got \(ncv))") }
  guard maxRestarts >= 1 else { throw .invalid("max_iter must be >= 1 (got \(maxRestarts))") }
  return LanczosOptions(
    count: Int(k), target: target, tolerance: tol, maxRestarts: Int(clamping: maxRestarts),
    subspaceSize: Int(ncv), seed: seed)
}

private func deflationCount(_ p: Int64) throws(LossLensError) -> Int {
  guard p >= 0, p < Int64(Int32.max) else { throw .invalid("deflate has an invalid number of columns (\(p))") }
  return Int(p)
}

private func makeSolver(
  _ n: Int64, _ k: Int64, _ which: Int32, _ tol: Double, _ maxRestarts: Int64, _ ncv: Int64, _ seed: UInt64,
  _ v0: UnsafePointer<Double>?, _ deflate: UnsafePointer<Double>?, _ p: Int64
) throws(LossLensError) -> LanczosSolver {
  let (rows, _) = try matrixShape(n, 1, "the operator")
  let options = try lanczosOptions(k, which, tol, maxRestarts, ncv, seed)
  return try LanczosSolver(
    dimension: rows, options: options, start: v0, deflation: deflate, deflationCount: try deflationCount(p))
}

private func solverBehind(_ handle: OpaquePointer?) throws(LossLensError) -> LanczosSolver {
  guard let handle else { throw .invalid("the Lanczos handle is NULL") }
  return Unmanaged<LanczosSolver>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
}

/// Writes the k eigenvalues, the n×k eigenvector matrix (column i for value i), the residuals and
/// info = [operator calls, restarts, converged pairs].
private func writeResult(
  _ solver: LanczosSolver, _ values: UnsafeMutablePointer<Double>?, _ vectors: UnsafeMutablePointer<Double>?,
  _ residuals: UnsafeMutablePointer<Double>?, _ info: UnsafeMutablePointer<Int64>?
) throws(LossLensError) {
  guard solver.isFinished else { throw .invalid("the Lanczos run has not finished (step until it reports done)") }
  let out = try required(values, "values"), vecs = try required(vectors, "vectors")
  let res = try required(residuals, "residuals"), meta = try required(info, "info")
  let n = solver.dimension, k = solver.values.count
  for i in 0..<k {
    out[i] = solver.values[i]
    res[i] = solver.residuals[i]
    for r in 0..<n { vecs[r * k + i] = solver.vectors[i * n + r] }
  }
  meta[0] = Int64(solver.operatorCalls)
  meta[1] = Int64(solver.restarts)
  meta[2] = Int64(solver.convergedCount)
}
