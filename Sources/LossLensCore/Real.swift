import _COpenBLAS

/// The floating-point types the kernels are generic over (`Float`, `Double`), with the BLAS
/// level-1/2/3 routines of matching precision. All matrices are row-major.
public protocol LossLensReal: BinaryFloatingPoint, Sendable where Self.RawSignificand: FixedWidthInteger {
  /// `C ← alpha · op(A) op(B) + beta · C`, with `op(A)` of shape m×k and `op(B)` k×n.
  static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
    a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
  /// `y ← alpha · op(A) x + beta · y` with A of shape m×n.
  static func gemv(
    trans: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
    x: UnsafePointer<Self>, incx: Int, beta: Self, y: UnsafeMutablePointer<Self>, incy: Int)
  /// Upper and lower triangle of `C ← alpha · A Aᵀ + beta · C` (or `Aᵀ A` when `trans`).
  static func syrk(
    trans: Bool, n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
  /// `xᵀ y`.
  static func dot(n: Int, x: UnsafePointer<Self>, incx: Int, y: UnsafePointer<Self>, incy: Int) -> Self
  /// `y ← alpha · x + y`.
  static func axpy(n: Int, alpha: Self, x: UnsafePointer<Self>, incx: Int, y: UnsafeMutablePointer<Self>, incy: Int)
}


extension Double: LossLensReal {
  @inlinable public static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
    a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }
  @inlinable public static func gemv(
    trans: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
    x: UnsafePointer<Double>, incx: Int, beta: Double, y: UnsafeMutablePointer<Double>, incy: Int
  ) {
    cblas_dgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha, a,
                blasint(lda), x, blasint(incx), beta, y, blasint(incy))
  }
  @inlinable public static func syrk(
    trans: Bool, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    cblas_dsyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans, blasint(n), blasint(k),
                alpha, a, blasint(lda), beta, c, blasint(ldc))
    Matrix.mirrorUpper(c, n: n, ldc: ldc)
  }
  @inlinable public static func dot(
    n: Int, x: UnsafePointer<Double>, incx: Int, y: UnsafePointer<Double>, incy: Int
  ) -> Double {
    cblas_ddot(blasint(n), x, blasint(incx), y, blasint(incy))
  }
  @inlinable public static func axpy(
    n: Int, alpha: Double, x: UnsafePointer<Double>, incx: Int, y: UnsafeMutablePointer<Double>, incy: Int
  ) {
    cblas_daxpy(blasint(n), alpha, x, blasint(incx), y, blasint(incy))
  }
}

extension Float: LossLensReal {
  @inlinable public static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }
  @inlinable public static func gemv(
    trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    x: UnsafePointer<Float>, incx: Int, beta: Float, y: UnsafeMutablePointer<Float>, incy: Int
  ) {
    cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha, a,
                blasint(lda), x, blasint(incx), beta, y, blasint(incy))
  }
  @inlinable public static func syrk(
    trans: Bool, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_ssyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans, blasint(n), blasint(k),
                alpha, a, blasint(lda), beta, c, blasint(ldc))
    Matrix.mirrorUpper(c, n: n, ldc: ldc)
  }
  @inlinable public static func dot(
    n: Int, x: UnsafePointer<Float>, incx: Int, y: UnsafePointer<Float>, incy: Int
  ) -> Float {
    cblas_sdot(blasint(n), x, blasint(incx), y, blasint(incy))
  }
  @inlinable public static func axpy(
    n: Int, alpha: Float, x: UnsafePointer<Float>, incx: Int, y: UnsafeMutablePointer<Float>, incy: Int
  ) {
    cblas_saxpy(blasint(n), alpha, x, blasint(incx), y, blasint(incy))
  }
}
