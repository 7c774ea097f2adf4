// The LAPACK and BLAS routines SwiftVTP calls (Debian: liblapack-dev, reference LAPACK or any implementation providing
// liblapack.so and libblas.so). Fortran calling convention: every argument by pointer, column-major matrices.
#ifndef VTP_CLAPACK_SHIM_H
#define VTP_CLAPACK_SHIM_H

/// Eigenvalues (ascending, in w) and, with jobz = 'V', orthonormal eigenvectors (overwriting a, column j for w[j])
/// of a real symmetric n×n matrix, divide and conquer. Workspace query: lwork = liwork = -1.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);

/// C = alpha·op(A)·op(B) + beta·C (BLAS level 3, column-major).
void dgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k, const double *alpha,
            const double *a, const int *lda, const double *b, const int *ldb, const double *beta, double *c,
            const int *ldc);

/// C = alpha·A·Aᵀ + beta·C (trans = 'N', A n×k) or alpha·Aᵀ·A + beta·C (trans = 'T', A k×n), the `uplo` triangle only.
void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k, const double *alpha, const double *a,
            const int *lda, const double *beta, double *c, const int *ldc);

#endif
