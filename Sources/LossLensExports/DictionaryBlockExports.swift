import DictionaryLearning
import LossLensCore

@_cdecl("ll_dl_encode_gram_f64")
public func ll_dl_encode_gram_f64(
  _ gram: UnsafePointer<Double>?, _ cross: UnsafePointer<Double>?, _ squaredNorms: UnsafePointer<Double>?,
  _ samples: Int64, _ atoms: Int64, _ alpha: Double, _ positive: Int32, _ maxIter: Int64, _ tol: Double,
  _ code: UnsafeMutablePointer<Double>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (n, k) = try matrixShape(samples, atoms, "cross")
    guard maxIter >= 0 else { throw .invalid("max_iter must be >= 0 (got \(maxIter))") }
    try SparseCoding.encodeGram(
      gram: try required(gram, "gram"), cross: try required(cross, "cross"),
      squaredNorms: try required(squaredNorms, "squared_norms"), samples: n, atoms: k,
      code: try required(code, "code"), alpha: alpha, positive: positive != 0, maxSweeps: Int(maxIter), tol: tol,
      threads: Threading.resolve(nJobs: Int(nThreads)))
  }
}

@_cdecl("ll_dl_block_products_f64")
public func ll_dl_block_products_f64(
  _ x: UnsafePointer<Double>?, _ samples: Int64, _ columns: Int64, _ dictionary: UnsafePointer<Double>?,
  _ atoms: Int64, _ cross: UnsafeMutablePointer<Double>?, _ gram: UnsafeMutablePointer<Double>?,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
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
  _ code: UnsafePointer<Double>?, _ x: UnsafePointer<Double>?, _ samples: Int64, _ columns: Int64,
  _ atoms: Int64, _ target: UnsafeMutablePointer<Double>?,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
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
  _ dictionary: UnsafePointer<Double>?, _ target: UnsafePointer<Double>?, _ usage: UnsafePointer<Double>?,
  _ atom: Int64, _ atoms: Int64, _ columns: Int64, _ w: UnsafeMutablePointer<Double>?,
  _ summary: UnsafeMutablePointer<Double>?,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
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

@_cdecl("ll_simplex_block_sums_f64")
public func ll_simplex_block_sums_f64(
  _ y: UnsafePointer<Double>?, _ count: Int64, _ shift: Double, _ thresholds: UnsafePointer<Double>?,
  _ nThresholds: Int64, _ counts: UnsafeMutablePointer<Int64>?, _ sums: UnsafeMutablePointer<Double>?,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (m, t) = try matrixShape(count, nThresholds, "y")
    let values = UnsafeBufferPointer(start: try required(y, "y"), count: m)
    let cutsStart = try required(thresholds, "thresholds")
    guard Matrix.allFinite(cutsStart, count: t), shift.isFinite else {
      throw .invalid("thresholds and shift must be finite")
    }
    let cuts = UnsafeBufferPointer(start: cutsStart, count: t)
    SimplexProjection.blockSums(
      values, shift: shift, thresholds: cuts, counts: try required(counts, "counts"), sums: try required(sums, "sums"))
  }
}

@_cdecl("ll_xoshiro_seed")
public func ll_xoshiro_seed(
  _ seed: UInt64, _ state: UnsafeMutablePointer<UInt64>?, _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    store(Xoshiro256(seed: seed), into: try required(state, "state"))
  }
}

@_cdecl("ll_xoshiro_next")
public func ll_xoshiro_next(
  _ state: UnsafeMutablePointer<UInt64>?, _ value: UnsafeMutablePointer<UInt64>?,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let words = try required(state, "state")
    var random = Xoshiro256(state: (words[0], words[1], words[2], words[3]))
    try required(value, "value").pointee = random.next()
    store(random, into: words)
  }
}

@_cdecl("ll_xoshiro_gaussians")
public func ll_xoshiro_gaussians(
  _ state: UnsafeMutablePointer<UInt64>?, _ count: Int64, _ out: UnsafeMutablePointer<Double>?,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    guard count >= 0 else { throw .invalid("count must be >= 0 (got \(count))") }
    let words = try required(state, "state")
    let values = try required(out, "out")
    var random = Xoshiro256(state: (words[0], words[1], words[2], words[3]))
    for i in 0..<Int(count) { values[i] = random.nextGaussian() }
    store(random, into: words)
  }
}

/// Writes a generator's four state words.
private func store(_ random: Xoshiro256, into words: UnsafeMutablePointer<UInt64>) {
  let state = random.state
  words[0] = state.0
  words[1] = state.1
  words[2] = state.2
  words[3] = state.3
}
