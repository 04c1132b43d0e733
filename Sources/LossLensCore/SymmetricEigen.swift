import _COpenBLAS

/// Eigendecomposition of small dense symmetric matrices through LAPACK's `dsyevd`.
public enum SymmetricEigen {
  /// Eigenvalues (ascending) and orthonormal eigenvectors of the symmetric `n×n` matrix `a`.
  ///
  /// `a` is read from its upper triangle and overwritten: on return row `j` of `a` holds the
  /// eigenvector of eigenvalue `j` (LAPACK's column-major columns, seen row-major).
  /// - Complexity: O(n³).
  public static func decompose(_ a: UnsafeMutablePointer<Double>, n: Int) throws(LossLensError) -> [Double] {
    guard n > 0 else { return [] }
    guard n < Int(Int32.max) / 8 else { throw .invalid("matrix too large for LAPACK (n = \(n))") }
    var values = [Double](repeating: 0, count: n)
    var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "L"))
    var size = Int32(n), lda = Int32(n), info: Int32 = 0
    var lwork: Int32 = -1, liwork: Int32 = -1
    var workQuery = 0.0
    var iworkQuery: Int32 = 0
    // Row-major upper triangle is column-major lower triangle: "L" reads what the caller wrote.
    values.withUnsafeMutableBufferPointer { w in
      dsyevd_(&jobz, &uplo, &size, a, &lda, w.baseAddress, &workQuery, &lwork, &iworkQuery, &liwork, &info)
    }
    guard info == 0 else { throw LossLensError(.numericalFailure, "dsyevd workspace query failed (info \(info))") }
    lwork = Int32(workQuery.rounded(.up))
    liwork = max(1, iworkQuery)
    var work = [Double](repeating: 0, count: Int(max(1, lwork)))
    var iwork = [Int32](repeating: 0, count: Int(liwork))
    values.withUnsafeMutableBufferPointer { w in
      dsyevd_(&jobz, &uplo, &size, a, &lda, w.baseAddress, &work, &lwork, &iwork, &liwork, &info)
    }
    guard info == 0 else { throw LossLensError(.numericalFailure, "dsyevd failed to converge (info \(info))") }
    return values
  }
}
