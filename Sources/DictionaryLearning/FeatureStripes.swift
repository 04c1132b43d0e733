import LossLensCore

/// The products of dictionary learning that stream the data X (n×p), split into a fixed number
/// of contiguous feature stripes that the threads share out.
///
/// Each stripe is one single-threaded kernel on a column block of X (`StripeKernels` in double
/// precision, BLAS otherwise; no copy: the leading dimension stays p), so both cores stream X at once. The stripe count depends only on p, and
/// partial sums are added in stripe order, so results do not depend on the thread count.
struct FeatureStripes {
  /// Number of stripes and features.
  let count: Int, features: Int

  /// Stripes of at least 4096 features (BLAS calls stay efficient), at most 64.
  init(features p: Int) {
    features = p
    count = Swift.max(1, Swift.min(64, p / 4096))
  }

  /// The features of stripe `s`.
  func range(_ s: Int) -> Range<Int> { (s * features / count)..<((s + 1) * features / count) }

  /// `B = Uᵀ X` (K×p): every stripe writes its own columns of B.
  ///
  /// - Complexity: O(n·p·K), both cores.
  func codeTimesData<T: LossLensReal>(
    code u: UnsafePointer<T>, x: UnsafePointer<T>, samples n: Int, atoms k: Int,
    into b: UnsafeMutablePointer<T>, threads: Int
  ) {
    let p = features
    parallelFor(count, threads: threads) { stripes in
      for s in stripes {
        let columns = range(s)
        if T.self == Double.self {
          StripeKernels.target(
            code: rebound(u), x: rebound(x), samples: n, features: p, atoms: k, columns: columns, into: rebound(b))
        } else {
          T.gemm(transA: true, transB: false, m: k, n: columns.count, k: n, alpha: 1, a: u, lda: k,
                 b: x + columns.lowerBound, ldb: p, beta: 0, c: b + columns.lowerBound, ldc: p)
        }
      }
    }
  }

  /// `C = X Vᵀ` (n×K) and `G = V Vᵀ` (K×K, full), in double precision, from per-stripe partial
  /// products in `partialCross` (count·n·K values) and `partialGram` (count·K·K values).
  ///
  /// - Complexity: O(n·p·K + K²·p), both cores.
  func dataTimesAtoms<T: LossLensReal>(
    x: UnsafePointer<T>, dictionary v: UnsafePointer<T>, samples n: Int, atoms k: Int,
    partialCross: UnsafeMutablePointer<T>, partialGram: UnsafeMutablePointer<T>,
    cross: UnsafeMutablePointer<Double>, gram: UnsafeMutablePointer<Double>, threads: Int
  ) {
    let p = features, nk = n * k, kk = k * k
    parallelFor(count, threads: threads) { stripes in
      for s in stripes {
        let columns = range(s)
        if T.self == Double.self {
          StripeKernels.cross(
            x: rebound(x), samples: n, features: p, dictionary: rebound(v), atoms: k, columns: columns,
            into: rebound(partialCross + s * nk))
        } else {
          T.gemm(transA: false, transB: true, m: n, n: k, k: columns.count, alpha: 1, a: x + columns.lowerBound,
                 lda: p, b: v + columns.lowerBound, ldb: p, beta: 0, c: partialCross + s * nk, ldc: k)
        }
        T.syrk(trans: false, n: k, k: columns.count, alpha: 1, a: v + columns.lowerBound, lda: p,
               beta: 0, c: partialGram + s * kk, ldc: k)
      }
    }
    sumInStripeOrder(partialCross, size: nk, into: cross)
    sumInStripeOrder(partialGram, size: kk, into: gram)
  }

  /// `G = V Vᵀ` (K×K, full) in double precision from per-stripe partial products.
  ///
  /// - Complexity: O(K²·p), both cores.
  func atomGram<T: LossLensReal>(
    dictionary v: UnsafePointer<T>, atoms k: Int, partialGram: UnsafeMutablePointer<T>,
    gram: UnsafeMutablePointer<Double>, threads: Int
  ) {
    let p = features, kk = k * k
    parallelFor(count, threads: threads) { stripes in
      for s in stripes {
        let columns = range(s)
        T.syrk(trans: false, n: k, k: columns.count, alpha: 1, a: v + columns.lowerBound, lda: p,
               beta: 0, c: partialGram + s * kk, ldc: k)
      }
    }
    sumInStripeOrder(partialGram, size: kk, into: gram)
  }

  /// `total = Σ_s partial[s]` over the `count` stripes' blocks of `size` values, in stripe order.
  private func sumInStripeOrder<T: LossLensReal>(
    _ partial: UnsafePointer<T>, size: Int, into total: UnsafeMutablePointer<Double>
  ) {
    for i in 0..<size { total[i] = 0 }
    for s in 0..<count {
      for i in 0..<size { total[i] += Double(partial[s * size + i]) }
    }
  }

  /// `pointer` as a pointer to `Double`; only called when `T` is `Double`.
  @inline(__always)
  private func rebound<T>(_ pointer: UnsafePointer<T>) -> UnsafePointer<Double> {
    UnsafeRawPointer(pointer).assumingMemoryBound(to: Double.self)
  }

  /// `pointer` as a pointer to `Double`; only called when `T` is `Double`.
  @inline(__always)
  private func rebound<T>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Double> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: Double.self)
  }
}
