/// Register-tiled double-precision kernels for the two products that stream X in dictionary
/// learning, on one feature stripe. They read X where it lies (BLAS `gemm` first copies every
/// panel of X into a packed buffer, which doubles the memory traffic of these skinny products)
/// and use the CPU's vector units (built once per CPU level: x86-64-v2 and x86-64-v3, see setup.py).
///
/// Both are deterministic: the summation order depends on the stripe only.
enum StripeKernels {
  /// Features per cache block: a block of X rows stays in L2 while every atom group passes.
  static let blockFeatures = 256
  /// Features per cache block of `target`: a whole number of its 12-feature tiles.
  static let targetBlockFeatures = 252

  private typealias Vector = SIMD4<Double>

  /// `sum += a·b` lane by lane: one fused multiply-add where the target has FMA (x86-64-v3, native);
  /// a multiply and an add on the x86-64-v2 baseline (built with `-DLOSSLENS_NO_FMA`), where a fused
  /// `addProduct` becomes a call to libm's `fma()` per lane and the kernels run 5-13x slower.
  @inline(__always)
  private static func multiplyAdd(_ sum: inout Vector, _ a: Vector, _ b: Vector) {
    #if LOSSLENS_NO_FMA
      sum += a * b
    #else
      sum.addProduct(a, b)
    #endif
  }

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
            multiplyAdd(&s00, xa, w0); multiplyAdd(&s01, xa, w1); multiplyAdd(&s02, xa, w2); multiplyAdd(&s03, xa, w3)
            multiplyAdd(&s10, xb, w0); multiplyAdd(&s11, xb, w1); multiplyAdd(&s12, xb, w2); multiplyAdd(&s13, xb, w3)
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
  /// Tiles of 4 atoms × 12 features keep 12 vector accumulators in registers while a group of
  /// 16 samples passes (3 loads of X and 4 broadcasts per 12 FMAs); the group's row segments of a
  /// cache block stay in L1 for every tile, and the tile adds its sums to b once per group. A short
  /// last atom group repeats an atom and drops the repeat; features past the last full tile take
  /// the scalar loop.
  /// - Complexity: O(n·K·|columns|).
  @inline(never)
  static func target(
    code u: UnsafePointer<Double>, x: UnsafePointer<Double>, samples n: Int, features p: Int, atoms k: Int,
    columns: Range<Int>, into b: UnsafeMutablePointer<Double>
  ) {
    var start = columns.lowerBound
    while start < columns.upperBound {
      let end = Swift.min(start + targetBlockFeatures, columns.upperBound)
      let tileEnd = start + (end - start) / 12 * 12
      for group in stride(from: 0, to: n, by: 16) {
        let samples = group..<Swift.min(group + 16, n)
        for a in stride(from: 0, to: k, by: 4) {
          let atoms = (a, Swift.min(a + 1, k - 1), Swift.min(a + 2, k - 1), Swift.min(a + 3, k - 1))
          var f = start
          while f < tileEnd {
            var s00 = Vector(), s01 = Vector(), s02 = Vector(), s10 = Vector(), s11 = Vector(), s12 = Vector()
            var s20 = Vector(), s21 = Vector(), s22 = Vector(), s30 = Vector(), s31 = Vector(), s32 = Vector()
            for i in samples {
              let row = x + i * p + f, weights = u + i * k
              let x0 = load(row), x1 = load(row + 4), x2 = load(row + 8)
              let w0 = Vector(repeating: weights[atoms.0]), w1 = Vector(repeating: weights[atoms.1])
              multiplyAdd(&s00, w0, x0); multiplyAdd(&s01, w0, x1); multiplyAdd(&s02, w0, x2)
              multiplyAdd(&s10, w1, x0); multiplyAdd(&s11, w1, x1); multiplyAdd(&s12, w1, x2)
              let w2 = Vector(repeating: weights[atoms.2]), w3 = Vector(repeating: weights[atoms.3])
              multiplyAdd(&s20, w2, x0); multiplyAdd(&s21, w2, x1); multiplyAdd(&s22, w2, x2)
              multiplyAdd(&s30, w3, x0); multiplyAdd(&s31, w3, x1); multiplyAdd(&s32, w3, x2)
            }
            let first = group == 0
            addTile(s00, s01, s02, to: b + atoms.0 * p + f, first: first)
            if atoms.1 != atoms.0 { addTile(s10, s11, s12, to: b + atoms.1 * p + f, first: first) }
            if atoms.2 != atoms.1 { addTile(s20, s21, s22, to: b + atoms.2 * p + f, first: first) }
            if atoms.3 != atoms.2 { addTile(s30, s31, s32, to: b + atoms.3 * p + f, first: first) }
            f += 12
          }
        }
      }
      for f in tileEnd..<end {
        for a in 0..<k {
          var sum = 0.0
          for i in 0..<n { sum += u[i * k + a] * x[i * p + f] }
          b[a * p + f] = sum
        }
      }
      start = end
    }
  }

  /// Stores (`first`) or adds three vectors at `pointer`.
  @inline(__always)
  private static func addTile(
    _ v0: Vector, _ v1: Vector, _ v2: Vector, to pointer: UnsafeMutablePointer<Double>, first: Bool
  ) {
    if first {
      store(v0, pointer)
      store(v1, pointer + 4)
      store(v2, pointer + 8)
    } else {
      store(load(pointer) + v0, pointer)
      store(load(pointer + 4) + v1, pointer + 4)
      store(load(pointer + 8) + v2, pointer + 8)
    }
  }

  /// The preimage of a block-coordinate atom update on the stripe's columns:
  /// `z[f] = v_a[f] + (b_a[f] − Σ_j weights[j] v_j[f]) / scale`, with V (K×p) read in place.
  ///
  /// - Complexity: O(K·|columns|).
  @inline(never)
  static func sweepPreimage(
    dictionary v: UnsafePointer<Double>, features p: Int, atoms k: Int, atom a: Int, target b: UnsafePointer<Double>,
    weights: UnsafePointer<Double>, scale: Double, columns: Range<Int>, into z: UnsafeMutablePointer<Double>
  ) {
    let row = v + a * p, inverse = Vector(repeating: 1 / scale)
    let vectorEnd = columns.lowerBound + columns.count / 4 * 4
    var f = columns.lowerBound
    while f < vectorEnd {
      var predicted = Vector()
      for j in 0..<k { multiplyAdd(&predicted, Vector(repeating: weights[j]), load(v + j * p + f)) }
      store(load(row + f) + (load(b + f) - predicted) * inverse, z + f)
      f += 4
    }
    for f in vectorEnd..<columns.upperBound {
      var predicted = 0.0
      for j in 0..<k { predicted += weights[j] * v[j * p + f] }
      z[f] = row[f] + (b[f] - predicted) / scale
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
