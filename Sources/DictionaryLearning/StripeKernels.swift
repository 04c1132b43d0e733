/// Register-tiled double-precision kernels for the two products that stream X in dictionary
/// learning, on one feature stripe. They read X where it lies (BLAS `gemm` first copies every
/// panel of X into a packed buffer, which doubles the memory traffic of these skinny products)
/// and use the CPU's vector units (this target is built for the host CPU).
///
/// Both are deterministic: the summation order depends on the stripe only.
enum StripeKernels {
  /// Features per cache block: a block of X rows stays in L2 while every atom group passes.
  static let blockFeatures = 256

  private typealias Vector = SIMD4<Double>

  /// `c = X[:, columns] V[:, columns]ᵀ` (n×K, overwritten), X n×p and V K×p row-major.
  ///
  /// Tiles of 2 samples × 4 atoms keep 8 vector accumulators in registers; an odd last sample or
  /// a short last atom group repeats a row and drops the repeat's result.
  /// - Complexity: O(n·K·|columns|).
  @inline(never)
  static func cross(
    x: UnsafePointer<Double>, samples n: Int, features p: Int, dictionary v: UnsafePointer<Double>, atoms k: Int,
    columns: Range<Int>, into c: UnsafeMutablePointer<Double>
  ) {
    for i in 0..<(n * k) { c[i] = 0 }
    var start = columns.lowerBound
    while start < columns.upperBound {
      let end = Swift.min(start + blockFeatures, columns.upperBound)
      let vectorEnd = start + (end - start) / 4 * 4
      for i in stride(from: 0, to: n, by: 2) {
        let rows = (i, Swift.min(i + 1, n - 1))
        let x0 = x + rows.0 * p, x1 = x + rows.1 * p
        for a in stride(from: 0, to: k, by: 4) {
          let atoms = (a, Swift.min(a + 1, k - 1), Swift.min(a + 2, k - 1), Swift.min(a + 3, k - 1))
          let v0 = v + atoms.0 * p, v1 = v + atoms.1 * p, v2 = v + atoms.2 * p, v3 = v + atoms.3 * p
          var s00 = Vector(), s01 = Vector(), s02 = Vector(), s03 = Vector()
          var s10 = Vector(), s11 = Vector(), s12 = Vector(), s13 = Vector()
          var f = start
          while f < vectorEnd {
            let xa = load(x0 + f), xb = load(x1 + f)
            let w0 = load(v0 + f), w1 = load(v1 + f), w2 = load(v2 + f), w3 = load(v3 + f)
            s00.addProduct(xa, w0); s01.addProduct(xa, w1); s02.addProduct(xa, w2); s03.addProduct(xa, w3)
            s10.addProduct(xb, w0); s11.addProduct(xb, w1); s12.addProduct(xb, w2); s13.addProduct(xb, w3)
            f += 4
          }
          var sums = (s00.sum(), s01.sum(), s02.sum(), s03.sum(), s10.sum(), s11.sum(), s12.sum(), s13.sum())
          for f in vectorEnd..<end {
            sums.0 += x0[f] * v0[f]; sums.1 += x0[f] * v1[f]; sums.2 += x0[f] * v2[f]; sums.3 += x0[f] * v3[f]
            sums.4 += x1[f] * v0[f]; sums.5 += x1[f] * v1[f]; sums.6 += x1[f] * v2[f]; sums.7 += x1[f] * v3[f]
          }
          let valid = Swift.min(4, k - a)
          accumulate((sums.0, sums.1, sums.2, sums.3), valid, into: c + rows.0 * k + a)
          if rows.1 != rows.0 { accumulate((sums.4, sums.5, sums.6, sums.7), valid, into: c + rows.1 * k + a) }
        }
      }
      start = end
    }
  }

  /// `b[:, columns] = Uᵀ X[:, columns]` (b K×p row-major, only the stripe's columns written) for
  /// the code U (n×K).
  ///
  /// Per cache block of features, samples come in groups of four (their row segments stay in
  /// L1 while every atom passes) and each atom's block of b gains the group's four rows at once.
  /// - Complexity: O(n·K·|columns|).
  @inline(never)
  static func target(
    code u: UnsafePointer<Double>, x: UnsafePointer<Double>, samples n: Int, features p: Int, atoms k: Int,
    columns: Range<Int>, into b: UnsafeMutablePointer<Double>
  ) {
    for a in 0..<k {
      for f in columns { b[a * p + f] = 0 }
    }
    var start = columns.lowerBound
    while start < columns.upperBound {
      let end = Swift.min(start + blockFeatures, columns.upperBound)
      let vectorEnd = start + (end - start) / 4 * 4
      for i in stride(from: 0, to: n, by: 4) {
        // A short last group repeats its last row with weight zero.
        let rows = (i, Swift.min(i + 1, n - 1), Swift.min(i + 2, n - 1), Swift.min(i + 3, n - 1))
        let x0 = x + rows.0 * p, x1 = x + rows.1 * p, x2 = x + rows.2 * p, x3 = x + rows.3 * p
        for a in 0..<k {
          let c0 = u[rows.0 * k + a], c1 = i + 1 < n ? u[rows.1 * k + a] : 0
          let c2 = i + 2 < n ? u[rows.2 * k + a] : 0, c3 = i + 3 < n ? u[rows.3 * k + a] : 0
          let w0 = Vector(repeating: c0), w1 = Vector(repeating: c1)
          let w2 = Vector(repeating: c2), w3 = Vector(repeating: c3)
          let out = b + a * p
          var f = start
          while f < vectorEnd {
            var sum = load(out + f)
            sum.addProduct(w0, load(x0 + f))
            sum.addProduct(w1, load(x1 + f))
            sum.addProduct(w2, load(x2 + f))
            sum.addProduct(w3, load(x3 + f))
            store(sum, out + f)
            f += 4
          }
          for f in vectorEnd..<end { out[f] += c0 * x0[f] + c1 * x1[f] + c2 * x2[f] + c3 * x3[f] }
        }
      }
      start = end
    }
  }

  /// Adds the first `valid` of four sums to `c[0..<valid]`.
  @inline(__always)
  private static func accumulate(
    _ sums: (Double, Double, Double, Double), _ valid: Int, into c: UnsafeMutablePointer<Double>
  ) {
    c[0] += sums.0
    if valid > 1 { c[1] += sums.1 }
    if valid > 2 { c[2] += sums.2 }
    if valid > 3 { c[3] += sums.3 }
  }

  @inline(__always)
  private static func load(_ pointer: UnsafePointer<Double>) -> Vector {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
  }

  @inline(__always)
  private static func store(_ value: Vector, _ pointer: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector.self)
  }
}
