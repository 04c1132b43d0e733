import LossLensCore

/// DIDS §4.2: the empirical Fisher diagonal and the FIM-guided impact of training domains on tasks.
public enum FisherImpact {
  /// How the impact compares a domain's and a task's mean gradients.
  public enum Kind: Sendable {
    /// DIDS eq. (12) (the paper): I = ½ Δᵀ F Δ with Δ = g_task − g_domain, a KL divergence.
    case divergence
    /// The authors' code: the Fisher kernel I = ½ Σ F ⊙ g_domain ⊙ g_task, a similarity.
    case kernel
  }

  /// DIDS eq. (11): F ≈ E[∇log p ⊙ ∇log p], the mean of the squared per-sample gradients
  /// (`n × p`, row-major) plus `epsilon`, written into `out` (`p`).
  ///
  /// - Complexity: O(n·p).
  public static func empiricalFisherDiagonal<T: LossLensReal>(
    _ g: UnsafePointer<T>, samples n: Int, parameters p: Int, epsilon: Double,
    into out: UnsafeMutablePointer<T>, threads: Int
  ) throws(LossLensError) {
    guard n > 0, p > 0 else { throw .invalid("per_sample_grads must not be empty (got shape (\(n), \(p)))") }
    guard Matrix.allFinite(g, count: n * p) else { throw .invalid("per_sample_grads contain NaN or infinity") }
    guard epsilon >= 0, epsilon.isFinite else { throw .invalid("eps must be finite and >= 0 (got \(epsilon))") }
    parallelFor(p, grain: 1024, threads: threads) { range in
      for c in range {
        var acc = 0.0
        for i in 0..<n {
          let v = Double(g[i * p + c])
          acc += v * v
        }
        out[c] = T(acc / Double(n) + epsilon)
      }
    }
  }

  /// DIDS eq. (12) (`.divergence`) or the authors' Fisher kernel (`.kernel`) for every pair of the
  /// `nd` domain and `nt` task mean gradients (rows of width p), into `out` (`nd × nt`).
  ///
  /// - Complexity: O(nd·nt·p).
  public static func impact<T: LossLensReal>(
    domains: UnsafePointer<T>, nd: Int, tasks: UnsafePointer<T>, nt: Int, fisher: UnsafePointer<T>, p: Int,
    kind: Kind, into out: UnsafeMutablePointer<Double>, threads: Int
  ) throws(LossLensError) {
    guard nd > 0, nt > 0, p > 0 else { throw .invalid("domain_grads, task_grads and fisher_diag must not be empty") }
    guard Matrix.allFinite(domains, count: nd * p) else { throw .invalid("domain_grads contain NaN or infinity") }
    guard Matrix.allFinite(tasks, count: nt * p) else { throw .invalid("task_grads contain NaN or infinity") }
    guard Matrix.allFinite(fisher, count: p) else { throw .invalid("fisher_diag contains NaN or infinity") }
    for c in 0..<p where fisher[c] < 0 { throw .invalid("fisher_diag must be non-negative") }
    parallelFor(nd * nt, threads: threads) { range in
      for pair in range {
        let gd = domains + (pair / nt) * p, gt = tasks + (pair % nt) * p
        var acc = 0.0
        switch kind {
        case .divergence:
          for c in 0..<p {
            let delta = Double(gt[c]) - Double(gd[c])
            acc += Double(fisher[c]) * delta * delta
          }
        case .kernel:
          for c in 0..<p { acc += Double(fisher[c]) * Double(gd[c]) * Double(gt[c]) }
        }
        out[pair] = 0.5 * acc
      }
    }
  }
}
