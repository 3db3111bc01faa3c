import COpenBLAS

/// Row-major single-precision GEMM, `C = alpha · op(A) · op(B) + beta · C`, through OpenBLAS.
/// `op(A)` is `m × k`, `op(B)` is `k × n`, `C` is `m × n`; leading dimensions are the
/// stored row lengths.
@inline(__always)
func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha,
        a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Sets the number of OpenBLAS worker threads (the machine has 2 cores).
public func setBLASThreads(_ count: Int) {
    openblas_set_num_threads(Int32(max(1, count)))
}

/// Measures the sustained single-precision GEMM rate of this machine in GFLOP/s with a
/// square product of the given size, so benchmarks can say how far from the BLAS peak
/// the trainer runs.
public func measureGEMMPeak(size: Int = 1024, repetitions: Int = 5) -> Double {
    let a = [Float](repeating: 0.5, count: size * size)
    let b = [Float](repeating: 0.25, count: size * size)
    var c = [Float](repeating: 0, count: size * size)
    var best = Double.infinity
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                for _ in 0..<repetitions {
                    let start = ContinuousClock.now
                    sgemm(
                        transposeA: false, transposeB: false, m: size, n: size, k: size,
                        a: pa.baseAddress!, lda: size, b: pb.baseAddress!, ldb: size, beta: 0,
                        c: pc.baseAddress!, ldc: size)
                    let elapsed = ContinuousClock.now - start
                    let seconds =
                        Double(elapsed.components.seconds)
                        + Double(elapsed.components.attoseconds) * 1e-18
                    best = min(best, seconds)
                }
            }
        }
    }
    return 2 * Double(size) * Double(size) * Double(size) / best / 1e9
}
