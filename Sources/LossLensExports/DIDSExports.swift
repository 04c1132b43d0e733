import CLossLens
import DIDS
import LossLensCore

// DIDS: gradient sketches, Fisher diagonal and impact, loss-trajectory fits, domain weights.

@_cdecl("ll_dids_sketch_options_init")
public func ll_dids_sketch_options_init(_ options: InOut<ll_dids_sketch_options>) {
  options?.pointee = ll_dids_sketch_options(projection: LL_DIDS_RADEMACHER, seed: 0, topk: Int64.max, n_threads: 0)
}

@_cdecl("ll_dids_sketch_f64")
public func ll_dids_sketch_f64(
  _ x: In<Double>, _ m: Int64, _ h: Int64, _ components: Int64, _ columnScale: In<Double>,
  _ options: In<ll_dids_sketch_options>, _ out: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  sketch(x, m, h, components, columnScale, options, out, err, errLength)
}

@_cdecl("ll_dids_sketch_f32")
public func ll_dids_sketch_f32(
  _ x: In<Float>, _ m: Int64, _ h: Int64, _ components: Int64, _ columnScale: In<Double>,
  _ options: In<ll_dids_sketch_options>, _ out: InOut<Float>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  sketch(x, m, h, components, columnScale, options, out, err, errLength)
}

@_cdecl("ll_dids_projection_column_norms_f64")
public func ll_dids_projection_column_norms_f64(
  _ h: Int64, _ components: Int64, _ options: In<ll_dids_sketch_options>, _ out: InOut<Double>, _ err: InOut<CChar>,
  _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let projection = try makeProjection(h, components, o)
    projection.columnNorms(into: try required(out, "out"), threads: threads(o.n_threads))
  }
}

@_cdecl("ll_dids_fisher_diagonal_options_init")
public func ll_dids_fisher_diagonal_options_init(_ options: InOut<ll_dids_fisher_diagonal_options>) {
  options?.pointee = ll_dids_fisher_diagonal_options(eps: 0, n_threads: 0)
}

@_cdecl("ll_dids_fisher_diagonal_f64")
public func ll_dids_fisher_diagonal_f64(
  _ g: In<Double>, _ n: Int64, _ p: Int64, _ options: In<ll_dids_fisher_diagonal_options>, _ out: InOut<Double>,
  _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  fisherDiagonal(g, n, p, options, out, err, errLength)
}

@_cdecl("ll_dids_fisher_diagonal_f32")
public func ll_dids_fisher_diagonal_f32(
  _ g: In<Float>, _ n: Int64, _ p: Int64, _ options: In<ll_dids_fisher_diagonal_options>, _ out: InOut<Float>,
  _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  fisherDiagonal(g, n, p, options, out, err, errLength)
}

@_cdecl("ll_dids_impact_options_init")
public func ll_dids_impact_options_init(_ options: InOut<ll_dids_impact_options>) {
  options?.pointee = ll_dids_impact_options(kind: LL_DIDS_DIVERGENCE, n_threads: 0)
}

@_cdecl("ll_dids_impact_f64")
public func ll_dids_impact_f64(
  _ domains: In<Double>, _ nd: Int64, _ tasks: In<Double>, _ nt: Int64, _ fisher: In<Double>, _ p: Int64,
  _ options: In<ll_dids_impact_options>, _ out: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  impact(domains, nd, tasks, nt, fisher, p, options, out, err, errLength)
}

@_cdecl("ll_dids_impact_f32")
public func ll_dids_impact_f32(
  _ domains: In<Float>, _ nd: Int64, _ tasks: In<Float>, _ nt: Int64, _ fisher: In<Float>, _ p: Int64,
  _ options: In<ll_dids_impact_options>, _ out: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  impact(domains, nd, tasks, nt, fisher, p, options, out, err, errLength)
}

@_cdecl("ll_dids_fit_exponential_decay_options_init")
public func ll_dids_fit_exponential_decay_options_init(_ options: InOut<ll_dids_fit_exponential_decay_options>) {
  options?.pointee = ll_dids_fit_exponential_decay_options(max_evaluations: 2000)
}

@_cdecl("ll_dids_fit_exponential_decay_f64")
public func ll_dids_fit_exponential_decay_f64(
  _ t: In<Double>, _ y: In<Double>, _ n: Int64, _ guess: In<Double>, _ lower: In<Double>, _ upper: In<Double>,
  _ options: In<ll_dids_fit_exponential_decay_options>, _ params: InOut<Double>, _ cost: InOut<Double>,
  _ evaluations: InOut<Int64>, _ status: InOut<ll_dids_decay_status>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let maxEvaluations = try readOptions(options).max_evaluations
    guard n >= 0 else { throw .invalid("the history must not have a negative length") }
    guard maxEvaluations >= 1 else { throw .invalid("max_evaluations must be >= 1") }
    var bounds = ExponentialDecay.Bounds.none
    if let lower { bounds.lower = (lower[0], lower[1], lower[2]) }
    if let upper { bounds.upper = (upper[0], upper[1], upper[2]) }
    let fit = try ExponentialDecay.fit(
      t: try required(t, "t"), y: try required(y, "y"), n: Int(n), guess: guess.map { ($0[0], $0[1], $0[2]) },
      bounds: bounds, maxEvaluations: Int(clamping: maxEvaluations))
    let p = try required(params, "params")
    p[0] = fit.a; p[1] = fit.b; p[2] = fit.c
    try required(cost, "cost").pointee = fit.cost
    try required(evaluations, "evaluations").pointee = Int64(fit.evaluations)
    let code: ll_dids_decay_status
    switch fit.status {
    case .converged: code = LL_DIDS_DECAY_CONVERGED
    case .maxEvaluations: code = LL_DIDS_DECAY_MAX_EVALUATIONS
    case .tooFewPoints: code = LL_DIDS_DECAY_TOO_FEW_POINTS
    }
    try required(status, "status").pointee = code
  }
}

@_cdecl("ll_dids_potential_options_init")
public func ll_dids_potential_options_init(_ options: InOut<ll_dids_potential_options>) {
  options?.pointee = ll_dids_potential_options(variant: LL_DIDS_POTENTIAL_PAPER, tau: 1)
}

@_cdecl("ll_dids_potential_f64")
public func ll_dids_potential_f64(
  _ t: In<Double>, _ y: In<Double>, _ n: Int64, _ options: In<ll_dids_potential_options>, _ out: InOut<Double>,
  _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let authorsCode: Bool
    switch o.variant {
    case LL_DIDS_POTENTIAL_PAPER: authorsCode = false
    case LL_DIDS_POTENTIAL_AUTHORS: authorsCode = true
    default:
      throw unknownCode("variant", o.variant, expected: "0 (LL_DIDS_POTENTIAL_PAPER) or 1 (LL_DIDS_POTENTIAL_AUTHORS)")
    }
    guard n >= 1 else { throw .invalid("the loss history must not be empty") }
    let ty = try required(t, "t"), yy = try required(y, "y")
    guard Matrix.allFinite(ty, count: Int(n)), Matrix.allFinite(yy, count: Int(n)) else {
      throw .invalid("the loss history contains NaN or infinity")
    }
    try required(out, "out").pointee = try DomainWeights.potential(
      t: ty, y: yy, n: Int(n), tau: o.tau, authorsCode: authorsCode)
  }
}

@_cdecl("ll_dids_update_options_init")
public func ll_dids_update_options_init(_ options: InOut<ll_dids_update_options>) {
  options?.pointee = ll_dids_update_options(
    beta: 0.1, normalization: LL_DIDS_SOFTMAX, impact_normalization: LL_DIDS_MAX_GAP, temperature: 1)
}

@_cdecl("ll_dids_update_f64")
public func ll_dids_update_f64(
  _ impact: In<Double>, _ nd: Int64, _ nt: Int64, _ improvement: In<Double>, _ potential: In<Double>,
  _ previous: In<Double>, _ options: In<ll_dids_update_options>, _ probabilities: InOut<Double>,
  _ utilities: InOut<Double>, _ normalizedImpact: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let (d, t) = try matrixShape(nd, nt, "impact")
    guard d >= 1, t >= 1 else { throw .invalid("impact must have at least one domain and one task") }
    let norm: DomainWeights.Normalization
    switch o.normalization {
    case LL_DIDS_SOFTMAX: norm = .softmax
    case LL_DIDS_LINEAR: norm = .linear
    default: throw unknownCode("normalization", o.normalization, expected: "0 (LL_DIDS_SOFTMAX) or 1 (LL_DIDS_LINEAR)")
    }
    let impactNorm: DomainWeights.ImpactNormalization
    switch o.impact_normalization {
    case LL_DIDS_MAX_GAP: impactNorm = .maxGap
    case LL_DIDS_SUM: impactNorm = .sum
    case LL_DIDS_UNNORMALIZED: impactNorm = .none
    default:
      throw unknownCode(
        "impact normalization", o.impact_normalization,
        expected: "0 (LL_DIDS_MAX_GAP), 1 (LL_DIDS_SUM) or 2 (LL_DIDS_UNNORMALIZED)")
    }
    guard o.beta >= 0, o.beta < 1 else { throw .invalid("beta must be in [0, 1) (got \(o.beta))") }
    guard o.temperature > 0, o.temperature.isFinite else { throw .invalid("temperature must be positive and finite") }
    let i = try required(impact, "impact"), lc = try required(improvement, "improvement")
    let lp = try required(potential, "potential"), prev = try required(previous, "previous")
    guard Matrix.allFinite(i, count: d * t) else { throw .invalid("impact contains NaN or infinity") }
    guard Matrix.allFinite(lc, count: t), Matrix.allFinite(lp, count: t) else {
      throw .invalid("loss improvements and potentials must be finite")
    }
    for k in 0..<d where !(prev[k] > 0) || !prev[k].isFinite {
      throw .invalid("previous probabilities must be positive and finite (entry \(k) is \(prev[k]))")
    }
    let ni = try required(normalizedImpact, "normalized_impact"), u = try required(utilities, "utilities")
    DomainWeights.normalizedImpact(i, nd: d, nt: t, mode: impactNorm, into: ni)
    DomainWeights.utilities(
      normalizedImpact: ni, nd: d, nt: t, improvement: lc, potential: lp, previous: prev, into: u)
    guard Matrix.allFinite(u, count: d) else { throw .invalid("the utilities overflowed") }
    DomainWeights.update(
      utilities: u, previous: prev, nd: d, beta: o.beta, normalization: norm, temperature: o.temperature,
      into: try required(probabilities, "probabilities"))
  }
}

private func makeProjection(_ h: Int64, _ components: Int64, _ o: ll_dids_sketch_options) throws(LossLensError)
  -> RandomProjection
{
  let kind: RandomProjection.Kind
  switch o.projection {
  case LL_DIDS_RADEMACHER: kind = .rademacher
  case LL_DIDS_GAUSSIAN: kind = .gaussian
  default: throw unknownCode("kind", o.projection, expected: "0 (LL_DIDS_RADEMACHER) or 1 (LL_DIDS_GAUSSIAN)")
  }
  guard h > 0, components > 0, components <= Int64(Int32.max) else { throw .invalid("invalid projection shape") }
  return try RandomProjection(inputs: Int(h), components: Int(components), kind: kind, seed: o.seed)
}

private func sketch<T: LossLensReal>(
  _ x: In<T>, _ m: Int64, _ h: Int64, _ components: Int64, _ columnScale: In<Double>,
  _ options: In<ll_dids_sketch_options>, _ out: InOut<T>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let (rows, _) = try matrixShape(m, h, "X")
    _ = try matrixShape(m, components, "out")
    let projection = try makeProjection(h, components, o)
    try GradientSketch.transform(
      try required(x, "X"), rows: rows, projection: projection, topk: Int(clamping: o.topk),
      columnScale: columnScale, into: try required(out, "out"), threads: threads(o.n_threads))
  }
}

private func fisherDiagonal<T: LossLensReal>(
  _ g: In<T>, _ n: Int64, _ p: Int64, _ options: In<ll_dids_fisher_diagonal_options>, _ out: InOut<T>,
  _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let (rows, cols) = try matrixShape(n, p, "per_sample_grads")
    try FisherImpact.empiricalFisherDiagonal(
      try required(g, "per_sample_grads"), samples: rows, parameters: cols, epsilon: o.eps,
      into: try required(out, "out"), threads: threads(o.n_threads))
  }
}

private func impact<T: LossLensReal>(
  _ domains: In<T>, _ nd: Int64, _ tasks: In<T>, _ nt: Int64, _ fisher: In<T>, _ p: Int64,
  _ options: In<ll_dids_impact_options>, _ out: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let (d, width) = try matrixShape(nd, p, "domain_grads")
    let (t, _) = try matrixShape(nt, p, "task_grads")
    let kind: FisherImpact.Kind
    switch o.kind {
    case LL_DIDS_DIVERGENCE: kind = .divergence
    case LL_DIDS_KERNEL: kind = .kernel
    default: throw unknownCode("kind", o.kind, expected: "0 (LL_DIDS_DIVERGENCE) or 1 (LL_DIDS_KERNEL)")
    }
    try FisherImpact.impact(
      domains: try required(domains, "domain_grads"), nd: d, tasks: try required(tasks, "task_grads"), nt: t,
      fisher: try required(fisher, "fisher_diag"), p: width, kind: kind, into: try required(out, "out"),
      threads: threads(o.n_threads))
  }
}
