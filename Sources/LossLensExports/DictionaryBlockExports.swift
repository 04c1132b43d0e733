import CLossLens
import DictionaryLearning
import LossLensCore

// Per-block kernels of a dictionary-learning fit spread over processes (float64 only, see losslens.h).

@_cdecl("ll_dl_encode_gram_f64")
public func ll_dl_encode_gram_f64(
  _ gram: In<Double>, _ cross: In<Double>, _ squaredNorms: In<Double>, _ samples: Int64, _ atoms: Int64,
  _ options: In<ll_dl_encode_options>, _ code: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try encodeOptions(options)
    let (n, k) = try matrixShape(samples, atoms, "cross")
    try SparseCoding.encodeGram(
      gram: try required(gram, "gram"), cross: try required(cross, "cross"),
      squaredNorms: try required(squaredNorms, "squared_norms"), samples: n, atoms: k,
      code: try required(code, "code"), alpha: o.alpha, positive: o.positive != 0, maxSweeps: Int(o.max_iter),
      tol: o.tol, threads: threads(o.n_threads))
  }
}

@_cdecl("ll_dl_block_products_f64")
public func ll_dl_block_products_f64(
  _ x: In<Double>, _ samples: Int64, _ columns: Int64, _ dictionary: In<Double>, _ atoms: Int64,
  _ cross: InOut<Double>, _ gram: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (n, m) = try matrixShape(samples, columns, "X")
    let (k, _) = try matrixShape(atoms, columns, "dictionary")
    guard n > 0, m > 0, k > 0 else { throw .invalid("X and dictionary must not be empty") }
    DictionaryBlocks.products(
      x: try required(x, "X"), samples: n, columns: m, dictionary: try required(dictionary, "dictionary"),
      atoms: k, cross: try required(cross, "cross"), gram: try required(gram, "gram"))
  }
}

@_cdecl("ll_dl_block_target_f64")
public func ll_dl_block_target_f64(
  _ code: In<Double>, _ x: In<Double>, _ samples: Int64, _ columns: Int64, _ atoms: Int64, _ target: InOut<Double>,
  _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (n, m) = try matrixShape(samples, columns, "X")
    let (_, k) = try matrixShape(samples, atoms, "code")
    guard n > 0, m > 0, k > 0 else { throw .invalid("X and code must not be empty") }
    DictionaryBlocks.target(
      code: try required(code, "code"), x: try required(x, "X"), samples: n, columns: m, atoms: k,
      into: try required(target, "target"))
  }
}

@_cdecl("ll_dl_block_atom_f64")
public func ll_dl_block_atom_f64(
  _ dictionary: In<Double>, _ target: In<Double>, _ usage: In<Double>, _ atom: Int64, _ atoms: Int64,
  _ columns: Int64, _ w: InOut<Double>, _ summary: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (k, m) = try matrixShape(atoms, columns, "dictionary")
    guard k > 0, m > 0 else { throw .invalid("dictionary must not be empty") }
    guard atom >= 0, atom < atoms else { throw .invalid("atom must be in [0, \(atoms)), got \(atom)") }
    let usageMatrix = try required(usage, "usage")
    guard usageMatrix[Int(atom) * k + Int(atom)] > 0 else { throw .invalid("the atom's usage must be positive") }
    let (largest, sum) = DictionaryBlocks.atomStep(
      dictionary: try required(dictionary, "dictionary"), target: try required(target, "target"),
      usage: usageMatrix, atom: Int(atom), atoms: k, columns: m, into: try required(w, "w"))
    let out = try required(summary, "summary")
    out[0] = largest
    out[1] = sum
  }
}
