// CBLAS from OpenBLAS, plus the Fortran LAPACK and thread-control symbols libopenblas exports.
// Debian's libopenblas-dev ships cblas.h but not LAPACKE, so LAPACK is declared here directly.
#ifndef LOSSLENS_COPENBLAS_SHIM_H
#define LOSSLENS_COPENBLAS_SHIM_H
#include <cblas.h>

/// Symmetric eigendecomposition (divide and conquer), column-major.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);
/// Symmetric eigenproblem, selected eigenpairs (MRRR), column-major.
void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a,
             const int *lda, const double *vl, const double *vu, const int *il, const int *iu,
             const double *abstol, int *m, double *w, double *z, const int *ldz, int *isuppz,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);
/// Cholesky factorisation, column-major.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
/// Solve with a Cholesky factor, column-major.
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info);
/// Singular value decomposition (divide and conquer), column-major.
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s,
             double *u, const int *ldu, double *vt, const int *ldvt, double *work,
             const int *lwork, int *iwork, int *info);

#endif
