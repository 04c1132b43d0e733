import LossLensCore

/// Keeps `C = X Vᵀ` (n×K) current while the atoms change, without streaming X (n×p) once more.
///
/// Every atom update is an affine map followed by a projection: `w = s (z − τ 1 − y)`, where the
/// preimage `z` is a combination of rows of V and of `Uᵀ X` (so `X zᵀ` follows from the crosses
/// and the data Gram matrix `X Xᵀ` in n-space), `s`/`τ` are the projection's scale and shift, and
/// `y` is the sparse part the projection clipped. Only `X yᵀ` touches X, and only the clipped
/// features; when the atom's support is smaller than its clipped set, `X wᵀ` is gathered from the
/// support instead. The gathers of one sweep are deferred and done together, one pass over the
/// rows of X touching only the listed features: each new cross is held as
/// `c_a = base_a + Σ_m mix[a, m] · X y_mᵀ` until `finish`.
///
/// Used for double-precision data with few samples relative to features (the Gram matrix costs
/// `n²p/2` once); results equal those of the streamed products up to rounding.
final class ImplicitCross {
  private typealias Vector = SIMD4<Double>

  let samples: Int, features: Int, atoms: Int
  /// `X Xᵀ` (n×n) and `X 1` (n).
  private let dataGram: UnsafeMutablePointer<Double>, rowSums: UnsafeMutablePointer<Double>
  /// The crosses' known parts (n×K, row-major like `C`) and their coefficients on the gathers (K×K).
  private let base: UnsafeMutablePointer<Double>, mix: UnsafeMutablePointer<Double>
  /// The preimage of the atom being updated: its cross's known part (n) and coefficients (K).
  let preimage: UnsafeMutablePointer<Double>, preimageMix: UnsafeMutablePointer<Double>
  /// Per atom, the sparse vector to gather: feature indices and values, stripe `s`'s entries
  /// starting at offset `stripe.lowerBound` of the atom's row, `counts[a·S + s]` of them.
  let indices: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Double>
  let counts: UnsafeMutablePointer<Int>
  private let stripes: FeatureStripes
  /// X transposed (p×n, rows padded with zeros to `paddedSamples`, a multiple of 4): each
  /// feature's values over the samples, contiguous.
  private let transposed: UnsafeMutablePointer<Double>, paddedSamples: Int
  /// The gathered products `X y_mᵀ` (K×`paddedSamples`).
  private let gathered: UnsafeMutablePointer<Double>

  /// What the projection of one atom left to gather.
  enum Residue {
    /// `y` lists the clipped part: `w = s (z − τ 1 − y)`.
    case clipped(scale: Double, shift: Double)
    /// `y` lists `w` itself on its support.
    case support
  }

  /// Whether the implicit route pays for a fit of `maxIter` iterations: double data, the Gram
  /// matrix (`n/(2K)` passes over X) repaid within half the budget, features at least twice the
  /// samples, the gather lists (12 bytes per atom and feature) at most 1.5 times X's size, and the
  /// transposed copy of X at most `maxCopyBytes`.
  static func pays(samples n: Int, features p: Int, atoms k: Int, maxIter: Int, isDouble: Bool) -> Bool {
    isDouble && p >= 2 * n && n <= k * maxIter && 3 * k <= 2 * n && n * p * 8 <= maxCopyBytes
  }

  /// The largest transposed copy of X the implicit route makes (1 GiB).
  static let maxCopyBytes = 1 << 30

  /// Prepares the route for X (n×p); `dataGram`, when given, is `X Xᵀ` (n×n) already formed.
  init(
    x: UnsafePointer<Double>, samples n: Int, features p: Int, atoms k: Int, stripes: FeatureStripes,
    dataGram given: UnsafePointer<Double>?, threads: Int
  ) {
    samples = n
    features = p
    atoms = k
    self.stripes = stripes
    dataGram = .allocate(capacity: n * n)
    rowSums = .allocate(capacity: n)
    base = .allocate(capacity: n * k)
    mix = .allocate(capacity: k * k)
    preimage = .allocate(capacity: n)
    preimageMix = .allocate(capacity: k)
    indices = .allocate(capacity: k * p)
    values = .allocate(capacity: k * p)
    counts = .allocate(capacity: k * stripes.count)
    paddedSamples = (n + 3) / 4 * 4
    gathered = .allocate(capacity: paddedSamples * k)
    transposed = .allocate(capacity: paddedSamples * p)
    transpose(x, into: transposed, threads: threads)
    if let given {
      dataGram.update(from: given, count: n * n)
    } else {
      formDataGram(x, threads: threads)
    }
    let rowSums = rowSums
    parallelFor(n, threads: threads) { rows in
      for i in rows {
        var sum = 0.0
        for f in 0..<p { sum += x[i * p + f] }
        rowSums[i] = sum
      }
    }
  }

  /// Forms `X Xᵀ` in `dataGram`: one syrk per thread on its share of the features, summed in
  /// order, so that no BLAS threads are left spinning.
  private func formDataGram(_ x: UnsafePointer<Double>, threads: Int) {
    let n = samples, p = features
    let parts = Swift.max(1, Swift.min(threads, p / 1024))
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: parts * n * n)
    defer { partial.deallocate() }
    parallelFor(parts, threads: threads) { range in
      for part in range {
        let first = part * p / parts, last = (part + 1) * p / parts
        Double.syrk(trans: false, n: n, k: last - first, alpha: 1, a: x + first, lda: p, beta: 0,
                    c: partial + part * n * n, ldc: n)
      }
    }
    dataGram.update(from: partial, count: n * n)
    for part in 1..<parts {
      for i in 0..<(n * n) { dataGram[i] += partial[part * n * n + i] }
    }
  }

  /// Writes X (n×p) transposed to `out` (p rows of `paddedSamples`, the padding zero), in blocks
  /// of 32 features × 32 samples so that both sides stay in cache.
  private func transpose(_ x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, threads: Int) {
    let n = samples, p = features, width = paddedSamples, block = 32
    parallelFor((p + block - 1) / block, threads: threads) { blocks in
      for column in blocks {
        let columns = (column * block)..<Swift.min((column + 1) * block, p)
        for rowStart in stride(from: 0, to: n, by: block) {
          for i in rowStart..<Swift.min(rowStart + block, n) {
            for f in columns { out[f * width + i] = x[i * p + f] }
          }
        }
        for f in columns {
          for i in n..<width { out[f * width + i] = 0 }
        }
      }
    }
  }

  deinit {
    for buffer in [dataGram, rowSums, base, mix, preimage, preimageMix, values, gathered, transposed] {
      buffer.deallocate()
    }
    indices.deallocate()
    counts.deallocate()
  }

  /// Starts a round of atom updates from the current crosses `cross` (n×K).
  func begin(from cross: UnsafePointer<Double>) {
    base.update(from: cross, count: samples * atoms)
    for i in 0..<(atoms * atoms) { mix[i] = 0 }
    for i in 0..<(atoms * stripes.count) { counts[i] = 0 }
  }

  /// Sets the preimage of a block-coordinate update of atom `a`,
  /// `z = v_a + (B_a − Σ_j A_aj v_j) / A_aa` with `B = Uᵀ X`, from the current crosses:
  /// `X zᵀ = c_a + (X Xᵀ u_a − Σ_j A_aj c_j) / A_aa`.
  ///
  /// - Complexity: O(n² + n·K + K²).
  func setSweepPreimage(atom a: Int, code: UnsafePointer<Double>, usage: UnsafePointer<Double>) {
    let n = samples, k = atoms
    let weights = usage + a * k, scale = weights[a]
    for i in 0..<n {
      let gramRow = dataGram + i * n, row = base + i * k
      var projected = 0.0, predicted = 0.0
      for j in 0..<n { projected += gramRow[j] * code[j * k + a] }
      for j in 0..<k { predicted += weights[j] * row[j] }
      preimage[i] = row[a] + (projected - predicted) / scale
    }
    for m in 0..<k {
      var predicted = 0.0
      for j in 0..<k { predicted += weights[j] * mix[j * k + m] }
      preimageMix[m] = mix[a * k + m] - predicted / scale
    }
  }

  /// Sets the preimage `z = (1 + β) w − β w_old` of an extrapolated atom from the two crosses.
  func setExtrapolatedPreimage(atom a: Int, current: UnsafePointer<Double>, old: UnsafePointer<Double>, beta: Double) {
    for i in 0..<samples { preimage[i] = (1 + beta) * current[i * atoms + a] - beta * old[i * atoms + a] }
    for m in 0..<atoms { preimageMix[m] = 0 }
  }

  /// Records atom `a`'s new cross from its preimage and what its projection left to gather (the
  /// caller has filled the lists).
  func finishAtom(_ a: Int, residue: Residue) {
    let n = samples, k = atoms
    switch residue {
    case let .clipped(scale, shift):
      for i in 0..<n { base[i * k + a] = scale * (preimage[i] - shift * rowSums[i]) }
      for m in 0..<k { mix[a * k + m] = scale * preimageMix[m] }
      mix[a * k + a] -= scale
    case .support:
      for i in 0..<n { base[i * k + a] = 0 }
      for m in 0..<k { mix[a * k + m] = 0 }
      mix[a * k + a] = 1
    }
  }

  /// Records atom `a`'s new cross computed directly (a redrawn atom): `c_a = X wᵀ`.
  func setDirect(atom a: Int, x: UnsafePointer<Double>, row: UnsafePointer<Double>) {
    let n = samples, k = atoms
    Double.gemv(trans: false, m: n, n: features, alpha: 1, a: x, lda: features, x: row, incx: 1, beta: 0,
                y: preimage, incy: 1)
    for i in 0..<n { base[i * k + a] = preimage[i] }
    for m in 0..<k { mix[a * k + m] = 0 }
    for s in 0..<stripes.count { counts[a * stripes.count + s] = 0 }
  }

  /// Gathers every listed `X y_mᵀ` in one pass over the rows of X and writes the crosses to `cross`.
  ///
  /// - Complexity: O(n·(listed entries) + n·K²), rows spread over `threads`.
  func finish(x: UnsafePointer<Double>, into cross: UnsafeMutablePointer<Double>, threads: Int) {
    let n = samples, p = features, k = atoms, stripeCount = stripes.count
    // Atoms spread over the threads; each listed feature adds its contiguous column of X.
    let width = paddedSamples
    parallelFor(k, threads: threads) { atomRange in
      for m in atomRange {
        let sums = gathered + m * width
        for i in 0..<width { sums[i] = 0 }
        for s in 0..<stripeCount {
          let start = m * p + stripes.range(s).lowerBound
          let listed = indices + start, weights = values + start
          for e in 0..<counts[m * stripeCount + s] {
            let column = transposed + Int(listed[e]) * width, w = Vector(repeating: weights[e])
            for r in Swift.stride(from: 0, to: width, by: 4) {
              let updated = load(sums + r) + w * load(column + r)
              UnsafeMutableRawPointer(sums + r).storeBytes(of: updated, as: Vector.self)
            }
          }
        }
      }
    }
    for i in 0..<n {
      for a in 0..<k {
        var value = base[i * k + a]
        for m in 0..<k { value += mix[a * k + m] * gathered[m * paddedSamples + i] }
        cross[i * k + a] = value
      }
    }
  }
}

/// Four doubles from `pointer` (any alignment).
@inline(__always)
private func load(_ pointer: UnsafePointer<Double>) -> SIMD4<Double> {
  UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Double>.self)
}
