import LossLensCore

// The library's generator (xoshiro256**), exposed so distributed fits draw the same streams.

@_cdecl("ll_xoshiro_seed")
public func ll_xoshiro_seed(
  _ seed: UInt64, _ state: InOut<UInt64>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    store(Xoshiro256(seed: seed), into: try required(state, "state"))
  }
}

@_cdecl("ll_xoshiro_next")
public func ll_xoshiro_next(
  _ state: InOut<UInt64>, _ value: InOut<UInt64>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let words = try required(state, "state")
    var random = Xoshiro256(state: (words[0], words[1], words[2], words[3]))
    try required(value, "value").pointee = random.next()
    store(random, into: words)
  }
}

@_cdecl("ll_xoshiro_gaussians_f64")
public func ll_xoshiro_gaussians_f64(
  _ state: InOut<UInt64>, _ count: Int64, _ out: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
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
