import LossLensCore

/// Every buffer one dictionary-learning or sparse-coding run needs, allocated once up front so
/// that no iteration allocates. Matrices are row-major; `T` buffers feed BLAS, `Double` buffers
/// hold the small K-sized statistics the solvers work on.
final class Workspace<T: LossLensReal> {
  let samples: Int, features: Int, atoms: Int
  /// How the products with X are split over the features.
  let stripes: FeatureStripes
  /// `C = X Vᵀ` (n×K) in double precision, and each stripe's part of it as BLAS returns it.
  let cross: UnsafeMutablePointer<Double>, partialCross: UnsafeMutablePointer<T>
  /// `G = V Vᵀ` (K×K) in double precision, and each stripe's part of it.
  let gram: UnsafeMutablePointer<Double>, partialGram: UnsafeMutablePointer<T>
  /// The code U (n×K) in double precision and its `T` mirror for BLAS.
  let code: UnsafeMutablePointer<Double>, codeBLAS: UnsafeMutablePointer<T>
  /// `G u` per sample (n×K), scratch of the coordinate descent.
  let gramTimesCode: UnsafeMutablePointer<Double>
  /// `A = UᵀU` (K×K) and its `T` mirror.
  let usage: UnsafeMutablePointer<Double>, usageBLAS: UnsafeMutablePointer<T>
  /// `B = Uᵀ X` (K×p).
  let target: UnsafeMutablePointer<T>
  /// `Vᵀ A_k` (p; the float sweep's prediction) and the atom being updated, in double precision (p).
  let mixed: UnsafeMutablePointer<T>, atom: UnsafeMutablePointer<Double>
  /// The preimage of a projected atom, kept for its clipped entries (p).
  let preimageAtom: UnsafeMutablePointer<Double>
  /// Each feature stripe's squared norm and entry count of the atom being updated.
  let partialNorms: UnsafeMutablePointer<Double>, partialCounts: UnsafeMutablePointer<Int>
  /// `‖x_i‖²` per sample (n).
  let squaredNorms: UnsafeMutablePointer<Double>
  var simplex: SimplexProjection.Workspace

  init(samples: Int, features: Int, atoms: Int) {
    self.samples = samples
    self.features = features
    self.atoms = atoms
    let nk = samples * atoms, kk = atoms * atoms
    stripes = FeatureStripes(features: features)
    cross = .allocate(capacity: nk)
    partialCross = .allocate(capacity: stripes.count * nk)
    gram = .allocate(capacity: kk)
    partialGram = .allocate(capacity: stripes.count * kk)
    code = .allocate(capacity: nk)
    codeBLAS = .allocate(capacity: nk)
    gramTimesCode = .allocate(capacity: nk)
    usage = .allocate(capacity: kk)
    usageBLAS = .allocate(capacity: kk)
    target = .allocate(capacity: atoms * features)
    mixed = .allocate(capacity: features)
    atom = .allocate(capacity: features)
    preimageAtom = .allocate(capacity: features)
    partialNorms = .allocate(capacity: stripes.count)
    partialCounts = .allocate(capacity: stripes.count)
    squaredNorms = .allocate(capacity: samples)
    simplex = SimplexProjection.Workspace(capacity: features)
  }

  deinit {
    for buffer in [cross, gram, code, gramTimesCode, usage, atom, preimageAtom, partialNorms, squaredNorms] {
      buffer.deallocate()
    }
    partialCounts.deallocate()
    for buffer in [partialCross, partialGram, codeBLAS, usageBLAS, target, mixed] { buffer.deallocate() }
    simplex.deallocate()
  }

  /// Recomputes `C = X Vᵀ` and `G = V Vᵀ` for the dictionary `v` (K×p).
  ///
  /// - Complexity: O(n·p·K + K²·p), in BLAS on both cores.
  func refreshCross(x: UnsafePointer<T>, dictionary v: UnsafePointer<T>, threads: Int) {
    stripes.dataTimesAtoms(
      x: x, dictionary: v, samples: samples, atoms: atoms, partialCross: partialCross,
      partialGram: partialGram, cross: cross, gram: gram, threads: threads)
  }

  /// Recomputes `G = V Vᵀ` alone (the crosses came from an `ImplicitCross`).
  ///
  /// - Complexity: O(K²·p), on both cores.
  func refreshGram(dictionary v: UnsafePointer<T>, threads: Int) {
    stripes.atomGram(dictionary: v, atoms: atoms, partialGram: partialGram, gram: gram, threads: threads)
  }

  /// Recomputes `B = Uᵀ X` from the BLAS mirror of the code.
  ///
  /// - Complexity: O(n·p·K), in BLAS on both cores.
  func refreshTarget(x: UnsafePointer<T>, threads: Int) {
    stripes.codeTimesData(code: codeBLAS, x: x, samples: samples, atoms: atoms, into: target, threads: threads)
  }

  /// Recomputes `A = UᵀU` from the double-precision code.
  ///
  /// - Complexity: O(n·K²).
  func refreshUsage() {
    Double.syrk(trans: true, n: atoms, k: samples, alpha: 1, a: code, lda: atoms, beta: 0, c: usage, ldc: atoms)
    for i in 0..<(atoms * atoms) { usageBLAS[i] = T(usage[i]) }
  }

  /// Copies the double-precision code to its BLAS mirror.
  func mirrorCode() {
    for i in 0..<(samples * atoms) { codeBLAS[i] = T(code[i]) }
  }

  /// Stores `‖x_i‖²` for every row of `x`; returns whether all are finite (they are when every
  /// entry is finite and no square sum overflows).
  ///
  /// - Complexity: O(n·p), rows spread over `threads`.
  @discardableResult
  func computeSquaredNorms(x: UnsafePointer<T>, threads: Int = 1) -> Bool {
    let p = features, squaredNorms = squaredNorms
    parallelFor(samples, threads: threads) { rows in
      for i in rows {
        var s = 0.0
        let row = x + i * p
        for f in 0..<p {
          let value = Double(row[f])
          s += value * value
        }
        squaredNorms[i] = s
      }
    }
    return Matrix.allFinite(UnsafePointer(squaredNorms), count: samples)
  }
}
