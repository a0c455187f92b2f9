/// Pointers to one layer's saved activations (rows × width each).
struct LayerActivations {
  var xIn: FloatPointer, r1: FloatPointer, n1: FloatPointer
  var q: FloatPointer, k: FloatPointer, v: FloatPointer, o: FloatPointer
  var xMid: FloatPointer, r2: FloatPointer, n2: FloatPointer
  var gate: FloatPointer, up: FloatPointer, act: FloatPointer
}

/// Everything the forward pass keeps for the backward pass.
struct Activations {
  var layers: [LayerActivations]
  /// Output of the last layer (before the final norm), rows × hidden.
  var xFinal: FloatPointer
  var cos: FloatPointer, sin: FloatPointer
}

/// Hands out consecutive pieces of one float block.
struct Carver {
  let base: FloatPointer
  var used = 0
  mutating func take(_ count: Int) -> FloatPointer {
    let p = base + used
    used += count
    return p
  }
}

/// The toy Qwen2-shaped decoder: parameters, gradients and a hand-written forward and backward pass.
/// A `final class` because it owns its buffers.
final class Model {
  let config: TrainConfig
  let layout: ParameterLayout
  let vocabularyRows: Int
  let hidden: Int, heads: Int, kvHeads: Int, headDim: Int, qWidth: Int, kvWidth: Int, inter: Int
  let params: FloatStorage
  let grads: FloatStorage
  let meter = GemmMeter()
  private let activationStore = FloatStorage(count: 1)
  private let scratchStore = FloatStorage(count: 1)
  /// Rows of logits computed at once, so that the full vocabulary never needs a rows × V block.
  private let logitChunkFloats = 1 << 24

  init(config: TrainConfig, vocabularyRows: Int) {
    self.config = config
    self.vocabularyRows = vocabularyRows
    layout = ParameterLayout(config: config, vocabularyRows: vocabularyRows)
    hidden = config.hiddenSize
    heads = config.heads
    kvHeads = config.kvHeads
    headDim = config.headDim
    qWidth = heads * headDim
    kvWidth = kvHeads * headDim
    inter = config.intermediateSize
    params = FloatStorage(count: layout.total)
    grads = FloatStorage(count: layout.total)
    var rng = Xoshiro256(seed: config.seed)
    let p = params.pointer
    for slot in layout.slots {
      switch slot.initKind {
      case .zeros: (p + slot.offset).update(repeating: 0, count: slot.count)
      case .ones: (p + slot.offset).update(repeating: 1, count: slot.count)
      case .normal:
        let std = Double(config.initStd)
        for i in 0..<slot.count { p[slot.offset + i] = Float(std * rng.nextNormal()) }
      }
    }
  }

  // MARK: Buffers

  private func carveActivations(rows t: Int, positions: Int) -> Activations {
    func carve(_ base: FloatPointer) -> (Activations, Int) {
      var c = Carver(base: base)
      var layers = [LayerActivations]()
      for _ in 0..<config.layers {
        layers.append(
          LayerActivations(
            xIn: c.take(t * hidden), r1: c.take(t), n1: c.take(t * hidden),
            q: c.take(t * qWidth), k: c.take(t * kvWidth), v: c.take(t * kvWidth), o: c.take(t * qWidth),
            xMid: c.take(t * hidden), r2: c.take(t), n2: c.take(t * hidden),
            gate: c.take(t * inter), up: c.take(t * inter), act: c.take(t * inter)))
      }
      let xFinal = c.take(t * hidden)
      let half = headDim / 2
      let cosTable = c.take(positions * half)
      let sinTable = c.take(positions * half)
      return (Activations(layers: layers, xFinal: xFinal, cos: cosTable, sin: sinTable), c.used)
    }
    var (acts, used) = carve(activationStore.pointer)
    if used > activationStore.capacity {
      activationStore.ensure(used)
      (acts, used) = carve(activationStore.pointer)
    }
    return acts
  }

  /// Scratch space of at least `count` floats (contents undefined).
  private func scratch(_ count: Int) -> FloatPointer {
    scratchStore.ensure(count)
    return scratchStore.pointer
  }

  // MARK: Forward

  /// Runs the decoder layers over a packed row and keeps what the backward pass needs.
  func forward(_ row: PackedRow) -> Activations {
    let t = row.count
    let longest = row.longestDocument
    let acts = carveActivations(rows: t, positions: longest)
    fillRoPETables(cos: acts.cos, sin: acts.sin, positions: longest, headDim: headDim, theta: config.ropeTheta)
    let p = params.pointer
    let s = scratch(longest * longest)
    let x0 = acts.layers.first?.xIn ?? acts.xFinal
    for i in 0..<t {
      (x0 + i * hidden).update(from: p + layout.embed + Int(row.tokens[i]) * hidden, count: hidden)
    }
    let eps = config.rmsNormEpsilon
    for l in 0..<config.layers {
      let w = layout.layers[l]
      let a = acts.layers[l]
      let xOut = l + 1 < config.layers ? acts.layers[l + 1].xIn : acts.xFinal
      rmsNormForward(x: a.xIn, weight: p + w.inputNorm, out: a.n1, inverseRMS: a.r1, rows: t, dim: hidden, epsilon: eps)
      linear(a.n1, rows: t, inWidth: hidden, weight: p + w.wq, outWidth: qWidth, bias: p + w.bq, out: a.q)
      linear(a.n1, rows: t, inWidth: hidden, weight: p + w.wk, outWidth: kvWidth, bias: p + w.bk, out: a.k)
      linear(a.n1, rows: t, inWidth: hidden, weight: p + w.wv, outWidth: kvWidth, bias: p + w.bv, out: a.v)
      applyRoPE(
        a.q, rows: t, heads: heads, headDim: headDim, positions: row.positions, cos: acts.cos, sin: acts.sin,
        inverse: false)
      applyRoPE(
        a.k, rows: t, heads: kvHeads, headDim: headDim, positions: row.positions, cos: acts.cos, sin: acts.sin,
        inverse: false)
      attentionForward(q: a.q, k: a.k, v: a.v, out: a.o, documents: row.documents, scores: s)
      a.xMid.update(from: a.xIn, count: t * hidden)
      BLAS.sgemm(
        meter, transB: true, m: t, n: hidden, k: qWidth, a: a.o, lda: qWidth, b: p + w.wo, ldb: qWidth,
        beta: 1, c: a.xMid, ldc: hidden)
      rmsNormForward(
        x: a.xMid, weight: p + w.postNorm, out: a.n2, inverseRMS: a.r2, rows: t, dim: hidden, epsilon: eps)
      linear(a.n2, rows: t, inWidth: hidden, weight: p + w.wGate, outWidth: inter, bias: nil, out: a.gate)
      linear(a.n2, rows: t, inWidth: hidden, weight: p + w.wUp, outWidth: inter, bias: nil, out: a.up)
      swiGLUForward(gate: a.gate, up: a.up, out: a.act, count: t * inter)
      xOut.update(from: a.xMid, count: t * hidden)
      BLAS.sgemm(
        meter, transB: true, m: t, n: hidden, k: inter, a: a.act, lda: inter, b: p + w.wDown, ldb: inter,
        beta: 1, c: xOut, ldc: hidden)
    }
    return acts
  }

  /// `out = x · Wᵀ (+ bias)`, W stored as transformers does: outWidth × inWidth.
  private func linear(
    _ x: FloatPointer, rows: Int, inWidth: Int, weight: FloatPointer, outWidth: Int, bias: FloatPointer?,
    out: FloatPointer
  ) {
    BLAS.sgemm(
      meter, transB: true, m: rows, n: outWidth, k: inWidth, a: x, lda: inWidth, b: weight, ldb: inWidth,
      c: out, ldc: outWidth)
    if let bias { addBias(out, bias: bias, rows: rows, dim: outWidth) }
  }

  /// Block-diagonal causal attention: each document attends only to itself, position i to 0...i.
  private func attentionForward(
    q: FloatPointer, k: FloatPointer, v: FloatPointer, out: FloatPointer, documents: [Int], scores: FloatPointer
  ) {
    let group = heads / kvHeads
    let scale = 1 / Float(headDim).squareRoot()
    for d in 0..<(documents.count - 1) {
      let start = documents[d]
      let size = documents[d + 1] - start
      for head in 0..<heads {
        let kvHead = head / group
        let qh = q + start * qWidth + head * headDim
        let kh = k + start * kvWidth + kvHead * headDim
        let vh = v + start * kvWidth + kvHead * headDim
        BLAS.sgemm(
          meter, transB: true, m: size, n: size, k: headDim, alpha: scale, a: qh, lda: qWidth, b: kh,
          ldb: kvWidth, c: scores, ldc: size)
        causalSoftmax(scores, size: size)
        BLAS.sgemm(
          meter, m: size, n: headDim, k: size, a: scores, lda: size, b: vh, ldb: kvWidth,
          c: out + start * qWidth + head * headDim, ldc: qWidth)
      }
    }
  }

  // MARK: Logits

  /// Logits of every row position (rows × vocabularyRows).
  func logits(_ row: PackedRow) -> [Float] {
    let t = row.count
    let acts = forward(row)
    let p = params.pointer
    let normed = FloatStorage(count: t * hidden + t)
    rmsNormForward(
      x: acts.xFinal, weight: p + layout.finalNorm, out: normed.pointer, inverseRMS: normed.pointer + t * hidden,
      rows: t, dim: hidden, epsilon: config.rmsNormEpsilon)
    var out = [Float](repeating: 0, count: t * vocabularyRows)
    out.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      BLAS.sgemm(
        meter, transB: true, m: t, n: vocabularyRows, k: hidden, a: normed.pointer, lda: hidden,
        b: p + layout.head, ldb: hidden, c: base, ldc: vocabularyRows)
    }
    return out
  }

  // MARK: Loss and backward

  /// Mean cross-entropy over the row's targets and, into `grads`, its gradient. Returns the summed
  /// loss (natural log) and the number of targets; a row without targets gives (0, 0) and zero gradients.
  func lossAndGradients(_ row: PackedRow) -> (lossSum: Double, count: Int) {
    grads.zero(layout.total)
    let n = row.predictions
    if n == 0 { return (0, 0) }
    let t = row.count
    let acts = forward(row)
    let p = params.pointer
    let g = grads.pointer
    let v = vocabularyRows
    let longest = row.longestDocument
    let chunkRows = max(1, min(n, logitChunkFloats / max(1, v)))

    // Scratch layout: the head's pieces, then the layers' gradients, then two attention blocks.
    var c = Carver(base: scratchStore.pointer)
    func plan(_ c: inout Carver) -> [FloatPointer] {
      [
        c.take(n * hidden), c.take(n * hidden), c.take(n), c.take(chunkRows * v), c.take(n * hidden),
        c.take(n * hidden),
        c.take(t * hidden), c.take(t * hidden), c.take(t * hidden),
        c.take(t * inter), c.take(t * inter), c.take(t * inter),
        c.take(t * qWidth), c.take(t * qWidth), c.take(t * kvWidth), c.take(t * kvWidth),
        c.take(longest * longest), c.take(longest * longest),
      ]
    }
    var b = plan(&c)
    if c.used > scratchStore.capacity {
      scratchStore.ensure(c.used)
      c = Carver(base: scratchStore.pointer)
      b = plan(&c)
    }
    let (hSel, normed, inverse, logits, dNormed, dSel) = (b[0], b[1], b[2], b[3], b[4], b[5])
    let (dX, dMid, dN, dAct, dGate, dUp) = (b[6], b[7], b[8], b[9], b[10], b[11])
    let (dO, dQ, dK, dV, probs, dProbs) = (b[12], b[13], b[14], b[15], b[16], b[17])

    // Gather the positions that predict something; only they reach the final norm and the LM head.
    var picked = [Int]()
    var targets = [Int]()
    picked.reserveCapacity(n)
    targets.reserveCapacity(n)
    for i in 0..<t where row.targets[i] >= 0 {
      picked.append(i)
      targets.append(Int(row.targets[i]))
    }
    for (r, i) in picked.enumerated() { (hSel + r * hidden).update(from: acts.xFinal + i * hidden, count: hidden) }
    rmsNormForward(
      x: hSel, weight: p + layout.finalNorm, out: normed, inverseRMS: inverse, rows: n, dim: hidden,
      epsilon: config.rmsNormEpsilon)
    var lossSum = 0.0
    let gradientScale = 1 / Float(n)
    var first = 0
    while first < n {
      let rows = min(chunkRows, n - first)
      let nChunk = normed + first * hidden
      BLAS.sgemm(
        meter, transB: true, m: rows, n: v, k: hidden, a: nChunk, lda: hidden, b: p + layout.head, ldb: hidden,
        c: logits, ldc: v)
      for r in 0..<rows {
        lossSum += crossEntropyRow(logits + r * v, count: v, target: targets[first + r], gradientScale: gradientScale)
      }
      BLAS.sgemm(
        meter, transA: true, m: v, n: hidden, k: rows, a: logits, lda: v, b: nChunk, ldb: hidden, beta: 1,
        c: g + layout.head, ldc: hidden)
      BLAS.sgemm(
        meter, m: rows, n: hidden, k: v, a: logits, lda: v, b: p + layout.head, ldb: hidden,
        c: dNormed + first * hidden, ldc: hidden)
      first += rows
    }
    dSel.update(repeating: 0, count: n * hidden)
    rmsNormBackward(
      x: hSel, weight: p + layout.finalNorm, inverseRMS: inverse, dy: dNormed, dx: dSel, dw: g + layout.finalNorm,
      rows: n, dim: hidden)
    dX.update(repeating: 0, count: t * hidden)
    for (r, i) in picked.enumerated() { (dX + i * hidden).update(from: dSel + r * hidden, count: hidden) }

    for l in stride(from: config.layers - 1, through: 0, by: -1) {
      let w = layout.layers[l]
      let a = acts.layers[l]
      // MLP: xOut = xMid + act · Wdᵀ.
      dMid.update(from: dX, count: t * hidden)
      BLAS.sgemm(
        meter, m: t, n: inter, k: hidden, a: dX, lda: hidden, b: p + w.wDown, ldb: inter, c: dAct, ldc: inter)
      BLAS.sgemm(
        meter, transA: true, m: hidden, n: inter, k: t, a: dX, lda: hidden, b: a.act, ldb: inter, beta: 1,
        c: g + w.wDown, ldc: inter)
      swiGLUBackward(gate: a.gate, up: a.up, da: dAct, dg: dGate, du: dUp, count: t * inter)
      BLAS.sgemm(
        meter, transA: true, m: inter, n: hidden, k: t, a: dGate, lda: inter, b: a.n2, ldb: hidden, beta: 1,
        c: g + w.wGate, ldc: hidden)
      BLAS.sgemm(
        meter, transA: true, m: inter, n: hidden, k: t, a: dUp, lda: inter, b: a.n2, ldb: hidden, beta: 1,
        c: g + w.wUp, ldc: hidden)
      BLAS.sgemm(
        meter, m: t, n: hidden, k: inter, a: dGate, lda: inter, b: p + w.wGate, ldb: hidden, c: dN, ldc: hidden)
      BLAS.sgemm(
        meter, m: t, n: hidden, k: inter, a: dUp, lda: inter, b: p + w.wUp, ldb: hidden, beta: 1, c: dN,
        ldc: hidden)
      rmsNormBackward(
        x: a.xMid, weight: p + w.postNorm, inverseRMS: a.r2, dy: dN, dx: dMid, dw: g + w.postNorm, rows: t,
        dim: hidden)
      // Attention: xMid = xIn + o · Woᵀ.
      dX.update(from: dMid, count: t * hidden)
      BLAS.sgemm(
        meter, m: t, n: qWidth, k: hidden, a: dMid, lda: hidden, b: p + w.wo, ldb: qWidth, c: dO, ldc: qWidth)
      BLAS.sgemm(
        meter, transA: true, m: hidden, n: qWidth, k: t, a: dMid, lda: hidden, b: a.o, ldb: qWidth, beta: 1,
        c: g + w.wo, ldc: qWidth)
      dK.update(repeating: 0, count: t * kvWidth)
      dV.update(repeating: 0, count: t * kvWidth)
      attentionBackward(
        q: a.q, k: a.k, v: a.v, dOut: dO, dq: dQ, dk: dK, dv: dV, documents: row.documents, probs: probs,
        dProbs: dProbs)
      applyRoPE(
        dQ, rows: t, heads: heads, headDim: headDim, positions: row.positions, cos: acts.cos, sin: acts.sin,
        inverse: true)
      applyRoPE(
        dK, rows: t, heads: kvHeads, headDim: headDim, positions: row.positions, cos: acts.cos, sin: acts.sin,
        inverse: true)
      accumulateBiasGradient(dQ, into: g + w.bq, rows: t, dim: qWidth)
      accumulateBiasGradient(dK, into: g + w.bk, rows: t, dim: kvWidth)
      accumulateBiasGradient(dV, into: g + w.bv, rows: t, dim: kvWidth)
      for (dy, width, weight) in [(dQ, qWidth, w.wq), (dK, kvWidth, w.wk), (dV, kvWidth, w.wv)] {
        BLAS.sgemm(
          meter, transA: true, m: width, n: hidden, k: t, a: dy, lda: width, b: a.n1, ldb: hidden, beta: 1,
          c: g + weight, ldc: hidden)
      }
      BLAS.sgemm(meter, m: t, n: hidden, k: qWidth, a: dQ, lda: qWidth, b: p + w.wq, ldb: hidden, c: dN, ldc: hidden)
      BLAS.sgemm(
        meter, m: t, n: hidden, k: kvWidth, a: dK, lda: kvWidth, b: p + w.wk, ldb: hidden, beta: 1, c: dN,
        ldc: hidden)
      BLAS.sgemm(
        meter, m: t, n: hidden, k: kvWidth, a: dV, lda: kvWidth, b: p + w.wv, ldb: hidden, beta: 1, c: dN,
        ldc: hidden)
      rmsNormBackward(
        x: a.xIn, weight: p + w.inputNorm, inverseRMS: a.r1, dy: dN, dx: dX, dw: g + w.inputNorm, rows: t,
        dim: hidden)
    }
    // Embedding rows: scatter-add in position order.
    for i in 0..<t {
      let dst = g + layout.embed + Int(row.tokens[i]) * hidden
      let src = dX + i * hidden
      for j in 0..<hidden { dst[j] += src[j] }
    }
    return (lossSum, n)
  }

  /// Backward of `attentionForward`; recomputes each block's probabilities instead of storing them.
  /// `dk` and `dv` must be zero on entry; `dq` is overwritten.
  private func attentionBackward(
    q: FloatPointer, k: FloatPointer, v: FloatPointer, dOut: FloatPointer, dq: FloatPointer, dk: FloatPointer,
    dv: FloatPointer, documents: [Int], probs: FloatPointer, dProbs: FloatPointer
  ) {
    let group = heads / kvHeads
    let scale = 1 / Float(headDim).squareRoot()
    for d in 0..<(documents.count - 1) {
      let start = documents[d]
      let size = documents[d + 1] - start
      for head in 0..<heads {
        let kvHead = head / group
        let qh = q + start * qWidth + head * headDim
        let kh = k + start * kvWidth + kvHead * headDim
        let vh = v + start * kvWidth + kvHead * headDim
        let doh = dOut + start * qWidth + head * headDim
        BLAS.sgemm(
          meter, transB: true, m: size, n: size, k: headDim, alpha: scale, a: qh, lda: qWidth, b: kh,
          ldb: kvWidth, c: probs, ldc: size)
        causalSoftmax(probs, size: size)
        BLAS.sgemm(
          meter, transA: true, m: size, n: headDim, k: size, a: probs, lda: size, b: doh, ldb: qWidth, beta: 1,
          c: dv + start * kvWidth + kvHead * headDim, ldc: kvWidth)
        BLAS.sgemm(
          meter, transB: true, m: size, n: size, k: headDim, a: doh, lda: qWidth, b: vh, ldb: kvWidth,
          c: dProbs, ldc: size)
        causalSoftmaxBackward(probabilities: probs, gradient: dProbs, size: size)
        BLAS.sgemm(
          meter, m: size, n: headDim, k: size, alpha: scale, a: dProbs, lda: size, b: kh, ldb: kvWidth,
          c: dq + start * qWidth + head * headDim, ldc: qWidth)
        BLAS.sgemm(
          meter, transA: true, m: size, n: headDim, k: size, alpha: scale, a: dProbs, lda: size, b: qh,
          ldb: qWidth, beta: 1, c: dk + start * kvWidth + kvHead * headDim, ldc: kvWidth)
      }
    }
  }
}
