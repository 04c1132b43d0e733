import CLossLens
import DictionaryLearning
import LossLensCore

@_cdecl("ll_dl_fit_options_init")
public func ll_dl_fit_options_init(_ options: InOut<ll_dl_fit_options>) {
  options?.pointee = ll_dl_fit_options(
    alpha: 1, tol: 1e-8, max_iter: 1000, code_max_iter: 1000, code_tol: 1e-8, constraint: LL_DL_UNIT_NORM,
    positive_code: 0, positive_dict: 0, seed: 0, n_threads: 0)
}

@_cdecl("ll_dl_fit_f64")
public func ll_dl_fit_f64(
  _ x: In<Double>, _ samples: Int64, _ features: Int64, _ atoms: Int64, _ dataGram: In<Double>,
  _ options: In<ll_dl_fit_options>, _ previousCost: Double, _ dictionary: InOut<Double>, _ code: InOut<Double>,
  _ extrapolationState: InOut<Double>, _ previousSweep: InOut<Double>, _ errors: InOut<Double>,
  _ iterations: InOut<Int64>, _ converged: InOut<Int32>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  dictLearning(x, samples, features, atoms, dataGram, options, previousCost, dictionary, code,
               extrapolationState, previousSweep, errors, iterations, converged, err, errLength)
}

@_cdecl("ll_dl_fit_f32")
public func ll_dl_fit_f32(
  _ x: In<Float>, _ samples: Int64, _ features: Int64, _ atoms: Int64, _ dataGram: In<Double>,
  _ options: In<ll_dl_fit_options>, _ previousCost: Double, _ dictionary: InOut<Float>, _ code: InOut<Float>,
  _ extrapolationState: InOut<Double>, _ previousSweep: InOut<Float>, _ errors: InOut<Double>,
  _ iterations: InOut<Int64>, _ converged: InOut<Int32>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  dictLearning(x, samples, features, atoms, dataGram, options, previousCost, dictionary, code,
               extrapolationState, previousSweep, errors, iterations, converged, err, errLength)
}

@_cdecl("ll_dl_encode_options_init")
public func ll_dl_encode_options_init(_ options: InOut<ll_dl_encode_options>) {
  options?.pointee = ll_dl_encode_options(alpha: 1, positive: 0, max_iter: 1000, tol: 1e-8, n_threads: 0)
}

@_cdecl("ll_dl_encode_lasso_f64")
public func ll_dl_encode_lasso_f64(
  _ x: In<Double>, _ samples: Int64, _ features: Int64, _ dictionary: In<Double>, _ atoms: Int64,
  _ options: In<ll_dl_encode_options>, _ code: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  sparseEncode(x, samples, features, dictionary, atoms, options, code, err, errLength)
}

@_cdecl("ll_dl_encode_lasso_f32")
public func ll_dl_encode_lasso_f32(
  _ x: In<Float>, _ samples: Int64, _ features: Int64, _ dictionary: In<Float>, _ atoms: Int64,
  _ options: In<ll_dl_encode_options>, _ code: InOut<Float>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  sparseEncode(x, samples, features, dictionary, atoms, options, code, err, errLength)
}

/// The Lasso options shared by ll_dl_encode_lasso_* and ll_dl_encode_gram_f64, checked.
func encodeOptions(_ options: In<ll_dl_encode_options>) throws(LossLensError) -> ll_dl_encode_options {
  let o = try readOptions(options)
  guard o.max_iter >= 0 else { throw .invalid("max_iter must be >= 0 (got \(o.max_iter))") }
  return o
}

private func dictLearning<T: LossLensReal>(
  _ x: In<T>, _ samples: Int64, _ features: Int64, _ atoms: Int64, _ dataGram: In<Double>,
  _ options: In<ll_dl_fit_options>, _ previousCost: Double, _ dictionary: InOut<T>, _ code: InOut<T>,
  _ extrapolationState: InOut<Double>, _ previousSweep: InOut<T>, _ errors: InOut<Double>, _ iterations: InOut<Int64>,
  _ converged: InOut<Int32>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let (n, p) = try matrixShape(samples, features, "X")
    _ = try matrixShape(atoms, features, "dictionary")
    var extrapolation: ExtrapolationState<T>?
    if let extrapolationState {
      extrapolation = ExtrapolationState(
        scalars: extrapolationState, previousSweep: try required(previousSweep, "previous_sweep"))
    }
    let constraint: AtomConstraint
    switch o.constraint {
    case LL_DL_UNIT_NORM: constraint = .unitNorm
    case LL_DL_SIMPLEX: constraint = .simplex
    default: throw unknownCode("constraint", o.constraint, expected: "0 (LL_DL_UNIT_NORM) or 1 (LL_DL_SIMPLEX)")
    }
    guard o.max_iter >= 0, o.code_max_iter >= 0 else { throw .invalid("max_iter must be >= 0") }
    let fitOptions = DictionaryLearning.Options(
      alpha: o.alpha, maxIter: Int(o.max_iter), tol: o.tol, codeMaxSweeps: Int(o.code_max_iter), codeTol: o.code_tol,
      constraint: constraint, positiveCode: o.positive_code != 0, positiveDict: o.positive_dict != 0, seed: o.seed)
    let outcome = try DictionaryLearning.fit(
      x: try required(x, "X"), samples: n, features: p, dictionary: try required(dictionary, "dictionary"),
      code: try required(code, "code"), atoms: Int(atoms), options: fitOptions, previousCost: previousCost,
      errors: try required(errors, "errors"), threads: threads(o.n_threads),
      extrapolation: extrapolation, dataGram: dataGram)
    try required(iterations, "n_iter").pointee = Int64(outcome.iterations)
    try required(converged, "converged").pointee = outcome.converged ? 1 : 0
  }
}

private func sparseEncode<T: LossLensReal>(
  _ x: In<T>, _ samples: Int64, _ features: Int64, _ dictionary: In<T>, _ atoms: Int64,
  _ options: In<ll_dl_encode_options>, _ code: InOut<T>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try encodeOptions(options)
    let (n, p) = try matrixShape(samples, features, "X")
    _ = try matrixShape(atoms, features, "dictionary")
    try SparseCoding.encode(
      x: try required(x, "X"), samples: n, features: p, dictionary: try required(dictionary, "dictionary"),
      atoms: Int(atoms), code: try required(code, "code"), alpha: o.alpha, positive: o.positive != 0,
      maxSweeps: Int(o.max_iter), tol: o.tol, threads: threads(o.n_threads))
  }
}
