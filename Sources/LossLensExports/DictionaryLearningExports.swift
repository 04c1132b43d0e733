import DictionaryLearning
import LossLensCore

@_cdecl("ll_dict_learning_f64")
public func ll_dict_learning_f64(
  _ x: UnsafePointer<Double>?, _ samples: Int64, _ features: Int64, _ atoms: Int64,
  _ alpha: Double, _ tol: Double, _ maxIter: Int64, _ codeMaxIter: Int64, _ codeTol: Double,
  _ constraint: Int32, _ positiveCode: Int32, _ positiveDict: Int32, _ seed: UInt64, _ previousCost: Double,
  _ dictionary: UnsafeMutablePointer<Double>?, _ code: UnsafeMutablePointer<Double>?,
  _ errors: UnsafeMutablePointer<Double>?, _ iterations: UnsafeMutablePointer<Int64>?,
  _ converged: UnsafeMutablePointer<Int32>?, _ extrapolationState: UnsafeMutablePointer<Double>?,
  _ previousSweep: UnsafeMutablePointer<Double>?, _ dataGram: UnsafePointer<Double>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  dictLearning(x, samples, features, atoms, alpha, tol, maxIter, codeMaxIter, codeTol, constraint,
               positiveCode, positiveDict, seed, previousCost, dictionary, code, errors, iterations,
               converged, extrapolationState, previousSweep, dataGram, nThreads, err, errLength)
}

@_cdecl("ll_dict_learning_f32")
public func ll_dict_learning_f32(
  _ x: UnsafePointer<Float>?, _ samples: Int64, _ features: Int64, _ atoms: Int64,
  _ alpha: Double, _ tol: Double, _ maxIter: Int64, _ codeMaxIter: Int64, _ codeTol: Double,
  _ constraint: Int32, _ positiveCode: Int32, _ positiveDict: Int32, _ seed: UInt64, _ previousCost: Double,
  _ dictionary: UnsafeMutablePointer<Float>?, _ code: UnsafeMutablePointer<Float>?,
  _ errors: UnsafeMutablePointer<Double>?, _ iterations: UnsafeMutablePointer<Int64>?,
  _ converged: UnsafeMutablePointer<Int32>?, _ extrapolationState: UnsafeMutablePointer<Double>?,
  _ previousSweep: UnsafeMutablePointer<Float>?, _ dataGram: UnsafePointer<Double>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  dictLearning(x, samples, features, atoms, alpha, tol, maxIter, codeMaxIter, codeTol, constraint,
               positiveCode, positiveDict, seed, previousCost, dictionary, code, errors, iterations,
               converged, extrapolationState, previousSweep, dataGram, nThreads, err, errLength)
}

@_cdecl("ll_sparse_encode_lasso_f64")
public func ll_sparse_encode_lasso_f64(
  _ x: UnsafePointer<Double>?, _ samples: Int64, _ features: Int64,
  _ dictionary: UnsafePointer<Double>?, _ atoms: Int64, _ alpha: Double, _ positive: Int32,
  _ maxIter: Int64, _ tol: Double, _ code: UnsafeMutablePointer<Double>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  sparseEncode(x, samples, features, dictionary, atoms, alpha, positive, maxIter, tol, code, nThreads, err, errLength)
}

@_cdecl("ll_sparse_encode_lasso_f32")
public func ll_sparse_encode_lasso_f32(
  _ x: UnsafePointer<Float>?, _ samples: Int64, _ features: Int64,
  _ dictionary: UnsafePointer<Float>?, _ atoms: Int64, _ alpha: Double, _ positive: Int32,
  _ maxIter: Int64, _ tol: Double, _ code: UnsafeMutablePointer<Float>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  sparseEncode(x, samples, features, dictionary, atoms, alpha, positive, maxIter, tol, code, nThreads, err, errLength)
}

private func dictLearning<T: LossLensReal>(
  _ x: UnsafePointer<T>?, _ samples: Int64, _ features: Int64, _ atoms: Int64,
  _ alpha: Double, _ tol: Double, _ maxIter: Int64, _ codeMaxIter: Int64, _ codeTol: Double,
  _ constraint: Int32, _ positiveCode: Int32, _ positiveDict: Int32, _ seed: UInt64, _ previousCost: Double,
  _ dictionary: UnsafeMutablePointer<T>?, _ code: UnsafeMutablePointer<T>?,
  _ errors: UnsafeMutablePointer<Double>?, _ iterations: UnsafeMutablePointer<Int64>?,
  _ converged: UnsafeMutablePointer<Int32>?, _ extrapolationState: UnsafeMutablePointer<Double>?,
  _ previousSweep: UnsafeMutablePointer<T>?, _ dataGram: UnsafePointer<Double>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (n, p) = try matrixShape(samples, features, "X")
    _ = try matrixShape(atoms, features, "dictionary")
    var extrapolation: ExtrapolationState<T>?
    if let extrapolationState {
      extrapolation = ExtrapolationState(scalars: extrapolationState, previousSweep: try required(previousSweep, "previous_sweep"))
    }
    guard let atomConstraint = AtomConstraint(rawValue: constraint) else {
      throw .invalid("constraint must be 0 (unit norm) or 1 (simplex), got \(constraint)")
    }
    guard maxIter >= 0, codeMaxIter >= 0 else { throw .invalid("max_iter must be >= 0") }
    let options = DictionaryLearning.Options(
      alpha: alpha, maxIter: Int(maxIter), tol: tol, codeMaxSweeps: Int(codeMaxIter), codeTol: codeTol,
      constraint: atomConstraint, positiveCode: positiveCode != 0, positiveDict: positiveDict != 0, seed: seed)
    let outcome = try DictionaryLearning.fit(
      x: try required(x, "X"), samples: n, features: p, dictionary: try required(dictionary, "dictionary"),
      code: try required(code, "code"), atoms: Int(atoms), options: options, previousCost: previousCost,
      errors: try required(errors, "errors"), threads: Threading.resolve(nJobs: Int(nThreads)),
      extrapolation: extrapolation, dataGram: dataGram)
    try required(iterations, "n_iter").pointee = Int64(outcome.iterations)
    try required(converged, "converged").pointee = outcome.converged ? 1 : 0
  }
}

private func sparseEncode<T: LossLensReal>(
  _ x: UnsafePointer<T>?, _ samples: Int64, _ features: Int64,
  _ dictionary: UnsafePointer<T>?, _ atoms: Int64, _ alpha: Double, _ positive: Int32,
  _ maxIter: Int64, _ tol: Double, _ code: UnsafeMutablePointer<T>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (n, p) = try matrixShape(samples, features, "X")
    _ = try matrixShape(atoms, features, "dictionary")
    guard maxIter >= 0 else { throw .invalid("max_iter must be >= 0 (got \(maxIter))") }
    try SparseCoding.encode(
      x: try required(x, "X"), samples: n, features: p, dictionary: try required(dictionary, "dictionary"),
      atoms: Int(atoms), code: try required(code, "code"), alpha: alpha, positive: positive != 0,
      maxSweeps: Int(maxIter), tol: tol, threads: Threading.resolve(nJobs: Int(nThreads)))
  }
}
