import CLossLens
import Lanczos
import LossLensCore

// Reverse-communication Lanczos: the solver state lives in a Swift object behind an opaque handle;
// the caller applies the operator between `ll_lanczos_step_f64` calls. Every pointer argument is used
// only during the call that receives it (the solver copies v0 and the deflation basis).

@_cdecl("ll_lanczos_options_init")
public func ll_lanczos_options_init(_ options: InOut<ll_lanczos_options>) {
  options?.pointee = ll_lanczos_options(which: LL_LANCZOS_LA, tol: 0, max_restarts: 1000, ncv: 0, seed: 0)
}

@_cdecl("ll_lanczos_create_f64")
public func ll_lanczos_create_f64(
  _ n: Int64, _ k: Int64, _ v0: In<Double>, _ deflate: In<Double>, _ p: Int64, _ options: In<ll_lanczos_options>,
  _ handle: InOut<OpaquePointer?>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let out = try required(handle, "handle")
    out.pointee = nil
    let (rows, _) = try matrixShape(n, 1, "the operator")
    let solver = try LanczosSolver(
      dimension: rows, options: try lanczosOptions(k, options), start: v0, deflation: deflate,
      deflationCount: try deflationCount(p))
    out.pointee = OpaquePointer(Unmanaged.passRetained(solver).toOpaque())
  }
}

@_cdecl("ll_lanczos_step_f64")
public func ll_lanczos_step_f64(
  _ handle: OpaquePointer?, _ y: In<Double>, _ x: InOut<Double>, _ needProduct: InOut<Int32>, _ err: InOut<CChar>,
  _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let solver = try solverBehind(handle)
    let need = try required(needProduct, "need_product")
    need.pointee = try solver.step(product: y, request: try required(x, "x")) == .applyOperator ? 1 : 0
  }
}

@_cdecl("ll_lanczos_result_f64")
public func ll_lanczos_result_f64(
  _ handle: OpaquePointer?, _ values: InOut<Double>, _ vectors: InOut<Double>, _ residuals: InOut<Double>,
  _ info: InOut<Int64>, _ err: InOut<CChar>, _ errLength: Int64
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

@_cdecl("ll_lanczos_dense_f64")
public func ll_lanczos_dense_f64(
  _ a: In<Double>, _ n: Int64, _ k: Int64, _ v0: In<Double>, _ deflate: In<Double>, _ p: Int64,
  _ options: In<ll_lanczos_options>, _ values: InOut<Double>, _ vectors: InOut<Double>, _ residuals: InOut<Double>,
  _ info: InOut<Int64>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (rows, _) = try matrixShape(n, n, "A")
    let solver = try LanczosSolver.solveDense(
      try required(a, "A"), dimension: rows, options: try lanczosOptions(k, options), start: v0, deflation: deflate,
      deflationCount: try deflationCount(p))
    try writeResult(solver, values, vectors, residuals, info)
  }
}

private func lanczosOptions(_ k: Int64, _ options: In<ll_lanczos_options>) throws(LossLensError)
  -> LanczosOptions
{
  let o = try readOptions(options)
  let target: LanczosTarget
  switch o.which {
  case LL_LANCZOS_LA: target = .largestAlgebraic
  case LL_LANCZOS_LM: target = .largestMagnitude
  case LL_LANCZOS_SA: target = .smallestAlgebraic
  default: throw unknownCode("which", o.which, expected: "0 (LL_LANCZOS_LA), 1 (LL_LANCZOS_LM) or 2 (LL_LANCZOS_SA)")
  }
  guard k >= 1, k < Int64(Int32.max) else { throw .invalid("k must be >= 1 (got \(k))") }
  guard o.ncv >= 0, o.ncv < Int64(Int32.max) else { throw .invalid("ncv must be >= 0 (got \(o.ncv))") }
  guard o.max_restarts >= 1 else { throw .invalid("max_iter must be >= 1 (got \(o.max_restarts))") }
  return LanczosOptions(
    count: Int(k), target: target, tolerance: o.tol, maxRestarts: Int(clamping: o.max_restarts),
    subspaceSize: Int(o.ncv), seed: o.seed)
}

private func deflationCount(_ p: Int64) throws(LossLensError) -> Int {
  guard p >= 0, p < Int64(Int32.max) else { throw .invalid("deflate has an invalid number of columns (\(p))") }
  return Int(p)
}

private func solverBehind(_ handle: OpaquePointer?) throws(LossLensError) -> LanczosSolver {
  guard let handle else { throw .invalid("the Lanczos handle is NULL") }
  return Unmanaged<LanczosSolver>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
}

/// Writes the k eigenvalues, the n×k eigenvector matrix (column i for value i), the residuals and
/// info = [operator calls, restarts, converged pairs].
private func writeResult(
  _ solver: LanczosSolver, _ values: InOut<Double>, _ vectors: InOut<Double>, _ residuals: InOut<Double>,
  _ info: InOut<Int64>
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
