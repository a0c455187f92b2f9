/// A block of floats the trainer owns (parameters, gradients, optimizer moments, activations).
/// A `final class` because it owns its memory; it grows on demand and never shrinks.
final class FloatStorage {
  private(set) var pointer: UnsafeMutablePointer<Float>
  private(set) var capacity: Int

  init(count: Int) {
    capacity = max(1, count)
    pointer = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
    pointer.initialize(repeating: 0, count: capacity)
  }

  deinit { pointer.deallocate() }

  /// Makes room for `count` floats; old contents are not kept when it grows.
  func ensure(_ count: Int) {
    if count <= capacity { return }
    pointer.deallocate()
    capacity = count
    pointer = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
    pointer.initialize(repeating: 0, count: capacity)
  }

  func zero(_ count: Int) {
    pointer.update(repeating: 0, count: count)
  }
}

/// How a tensor is initialised.
enum TensorInit {
  case normal, zeros, ones
}

/// One named tensor inside the flat parameter buffer.
struct TensorSlot: Sendable {
  let name: String
  let shape: [Int]
  let offset: Int
  let count: Int
  /// AdamW weight decay applies (projection weights and embeddings, not norms or biases).
  let decays: Bool
  let initKind: TensorInit
}

extension TensorInit: Sendable {}

/// Offsets of one decoder layer's tensors in the flat parameter buffer.
struct LayerSlots: Sendable {
  var inputNorm = 0, wq = 0, bq = 0, wk = 0, bk = 0, wv = 0, bv = 0, wo = 0
  var postNorm = 0, wGate = 0, wUp = 0, wDown = 0
}

/// The tensors of the model, named as transformers' `Qwen2ForCausalLM`, laid out one after the
/// other in one flat buffer so that the optimizer and the gradient norm are single loops.
struct ParameterLayout: Sendable {
  private(set) var slots: [TensorSlot] = []
  private(set) var layers: [LayerSlots] = []
  private(set) var embed = 0
  private(set) var finalNorm = 0
  /// Offset of the LM head; equals `embed` when the embeddings are tied.
  private(set) var head = 0
  private(set) var total = 0

  init(config: TrainConfig, vocabularyRows v: Int) {
    let h = config.hiddenSize
    let dq = config.heads * config.headDim
    let dkv = config.kvHeads * config.headDim
    let inter = config.intermediateSize
    func add(_ name: String, _ shape: [Int], _ kind: TensorInit, decays: Bool) -> Int {
      let count = shape.reduce(1, *)
      let offset = total
      slots.append(TensorSlot(name: name, shape: shape, offset: offset, count: count, decays: decays, initKind: kind))
      total += count
      return offset
    }
    embed = add("model.embed_tokens.weight", [v, h], .normal, decays: true)
    for l in 0..<config.layers {
      let p = "model.layers.\(l)."
      var s = LayerSlots()
      s.inputNorm = add(p + "input_layernorm.weight", [h], .ones, decays: false)
      s.wq = add(p + "self_attn.q_proj.weight", [dq, h], .normal, decays: true)
      s.bq = add(p + "self_attn.q_proj.bias", [dq], .zeros, decays: false)
      s.wk = add(p + "self_attn.k_proj.weight", [dkv, h], .normal, decays: true)
      s.bk = add(p + "self_attn.k_proj.bias", [dkv], .zeros, decays: false)
      s.wv = add(p + "self_attn.v_proj.weight", [dkv, h], .normal, decays: true)
      s.bv = add(p + "self_attn.v_proj.bias", [dkv], .zeros, decays: false)
      s.wo = add(p + "self_attn.o_proj.weight", [h, dq], .normal, decays: true)
      s.postNorm = add(p + "post_attention_layernorm.weight", [h], .ones, decays: false)
      s.wGate = add(p + "mlp.gate_proj.weight", [inter, h], .normal, decays: true)
      s.wUp = add(p + "mlp.up_proj.weight", [inter, h], .normal, decays: true)
      s.wDown = add(p + "mlp.down_proj.weight", [h, inter], .normal, decays: true)
      layers.append(s)
    }
    finalNorm = add("model.norm.weight", [h], .ones, decays: false)
    head = config.tieEmbeddings ? embed : add("lm_head.weight", [v, h], .normal, decays: true)
  }

  func slot(named name: String) -> TensorSlot? {
    slots.first { $0.name == name }
  }
}
