import PrepJSON

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// One tensor to write: name, shape and row-major float32 values.
struct NamedTensor {
  var name: String
  var shape: [Int]
  var values: UnsafeBufferPointer<Float>
}

/// The safetensors format: an 8-byte little-endian header length, a JSON header (padded with spaces
/// to a multiple of 8 bytes) mapping each name to dtype, shape and `data_offsets` (begin, end) relative
/// to the data that follows, then the raw little-endian data. Names are sorted and the data is laid
/// out in the same order, so the bytes depend only on the tensors.
enum Safetensors {
  static func encode(_ tensors: [NamedTensor], metadata: [(String, String)] = [("format", "pt")]) -> Data {
    let sorted = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    var header = "{"
    if !metadata.isEmpty {
      header += "\"__metadata__\":{"
      header += metadata.map { "\(jsonString($0.0)):\(jsonString($0.1))" }.joined(separator: ",")
      header += "},"
    }
    var offset = 0
    var entries = [String]()
    for tensor in sorted {
      let bytes = tensor.values.count * 4
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      entries.append(
        "\(jsonString(tensor.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}"
      )
      offset += bytes
    }
    header += entries.joined(separator: ",") + "}"
    var headerBytes = Array(header.utf8)
    while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
    var data = Data()
    data.reserveCapacity(8 + headerBytes.count + offset)
    var length = UInt64(headerBytes.count).littleEndian
    withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
    data.append(contentsOf: headerBytes)
    for tensor in sorted {
      #if _endian(little)
        data.append(UnsafeRawBufferPointer(tensor.values).bindMemory(to: UInt8.self))
      #else
        for value in tensor.values {
          var bits = value.bitPattern.littleEndian
          withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
        }
      #endif
    }
    return data
  }
}

/// A JSON string literal for `text` (quotes, backslashes and control characters escaped).
func jsonString(_ text: String) -> String {
  var writer = JSONWriter()
  writer.writeString(text)
  return String(decoding: writer.bytes, as: UTF8.self)
}

extension Trainer {
  /// File names `save(to:)` writes.
  public enum SavedFile {
    /// The weights.
    public static let weights = "model.safetensors"
    /// transformers' `Qwen2Config`.
    public static let config = "config.json"
    /// The compact vocabulary's id map (only with a compact vocabulary).
    public static let vocabularyMap = "vocab_map.json"
  }

  /// Writes `model.safetensors` (transformers' `Qwen2ForCausalLM` tensor names, F32; `lm_head.weight`
  /// left out when tied), a Qwen2 `config.json` and, with a compact vocabulary, `vocab_map.json`
  /// into `directory` (created if missing). Each file is written to a temporary name and renamed.
  public func save(to directory: String) throws(TrainError) {
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw .writeFailed(path: directory, reason: "\(error)")
    }
    let p = model.params.pointer
    let tensors = model.layout.slots.map {
      NamedTensor(name: $0.name, shape: $0.shape, values: UnsafeBufferPointer(start: p + $0.offset, count: $0.count))
    }
    try write(Safetensors.encode(tensors), to: directory + "/" + SavedFile.weights)
    try write(Data(configJSON().utf8), to: directory + "/" + SavedFile.config)
    if let ids = vocabulary.ids {
      var text = "{\n  \"format\": \"prep-compact-vocabulary-1\",\n"
      text += "  \"original_vocab_size\": \(vocabulary.originalSize),\n"
      text += "  \"vocab_size\": \(ids.count),\n"
      text += "  \"ids\": [" + ids.map(String.init).joined(separator: ", ") + "]\n}\n"
      try write(Data(text.utf8), to: directory + "/" + SavedFile.vocabularyMap)
    }
  }

  /// transformers' Qwen2 `config.json` for this model, keys sorted.
  func configJSON() -> String {
    let c = config
    let fields: [(String, String)] = [
      ("architectures", "[\"Qwen2ForCausalLM\"]"),
      ("attention_bias", "true"),
      ("attention_dropout", "0.0"),
      ("hidden_act", "\"silu\""),
      ("hidden_size", "\(c.hiddenSize)"),
      ("initializer_range", "\(Double(c.initStd))"),
      ("intermediate_size", "\(c.intermediateSize)"),
      ("max_position_embeddings", "\(max(2048, longestDocument))"),
      ("max_window_layers", "\(c.layers)"),
      ("model_type", "\"qwen2\""),
      ("num_attention_heads", "\(c.heads)"),
      ("num_hidden_layers", "\(c.layers)"),
      ("num_key_value_heads", "\(c.kvHeads)"),
      ("rms_norm_eps", "\(c.rmsNormEpsilon)"),
      ("rope_theta", "\(c.ropeTheta)"),
      ("tie_word_embeddings", c.tieEmbeddings ? "true" : "false"),
      ("torch_dtype", "\"float32\""),
      ("use_cache", "true"),
      ("use_sliding_window", "false"),
      ("vocab_size", "\(vocabulary.size)"),
    ]
    return "{\n" + fields.map { "  \(jsonString($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n}\n"
  }

  private func write(_ data: Data, to path: String) throws(TrainError) {
    do {
      try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw .writeFailed(path: path, reason: "\(error)")
    }
  }
}
