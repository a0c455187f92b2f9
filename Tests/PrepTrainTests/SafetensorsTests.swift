import Foundation
import PrepCore
import PrepTestSupport
import PrepTrain
import Testing

/// `save(to:)`: the safetensors header parses and names, shapes, offsets and bytes are right.
@Suite struct SafetensorsTests {
  @Test(arguments: [false, true])
  func roundTrip(tied: Bool) throws {
    let trainer = try Trainer(config: Tiny.config(tied: tied), samples: [Tiny.packed, Tiny.single])
    _ = trainer.step()
    let dir = TestPaths.temporaryDirectory("prep-train")
    try trainer.save(to: dir)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors"))
    let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    #expect(headerLength % 8 == 0)
    let headerData = bytes.subdata(in: 8..<(8 + headerLength))
    let header = try #require(try JSONSerialization.jsonObject(with: headerData) as? [String: Any])
    let meta = try #require(header["__metadata__"] as? [String: String])
    #expect(meta["format"] == "pt")
    let names = header.keys.filter { $0 != "__metadata__" }.sorted()
    #expect(names == trainer.parameterNames.sorted())
    #expect(names.contains("lm_head.weight") == !tied)
    #expect(names.contains("model.layers.1.self_attn.k_proj.bias"))
    #expect(!names.contains("model.layers.0.self_attn.o_proj.bias"))
    let dataStart = 8 + headerLength
    var expectedOffset = 0
    for name in names {  // data laid out in sorted-name order, back to back
      let entry = try #require(header[name] as? [String: Any])
      #expect(entry["dtype"] as? String == "F32")
      let shape = try #require(entry["shape"] as? [Int])
      #expect(shape == trainer.parameterShape(named: name))
      let offsets = try #require(entry["data_offsets"] as? [Int])
      #expect(offsets == [expectedOffset, expectedOffset + shape.reduce(1, *) * 4])
      let values = try #require(trainer.parameter(named: name))
      let stored = bytes.subdata(in: (dataStart + offsets[0])..<(dataStart + offsets[1])).withUnsafeBytes {
        Array($0.bindMemory(to: Float.self))
      }
      #expect(stored == values, "\(name)")
      expectedOffset = offsets[1]
    }
    #expect(bytes.count == dataStart + expectedOffset)

    let configData = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
    let config = try #require(try JSONSerialization.jsonObject(with: configData) as? [String: Any])
    #expect(config["architectures"] as? [String] == ["Qwen2ForCausalLM"])
    #expect(config["model_type"] as? String == "qwen2")
    #expect(config["hidden_size"] as? Int == 16)
    #expect(config["num_hidden_layers"] as? Int == 2)
    #expect(config["num_attention_heads"] as? Int == 4)
    #expect(config["num_key_value_heads"] as? Int == 2)
    #expect(config["intermediate_size"] as? Int == 32)
    #expect(config["vocab_size"] as? Int == trainer.vocabulary.size)
    #expect(config["tie_word_embeddings"] as? Bool == tied)
    #expect((config["rope_theta"] as? Double) == 10_000)
    #expect(abs((config["rms_norm_eps"] as? Double ?? 0) - 1e-6) < 1e-12)

    let mapData = try Data(contentsOf: URL(fileURLWithPath: dir + "/vocab_map.json"))
    let map = try #require(try JSONSerialization.jsonObject(with: mapData) as? [String: Any])
    #expect((map["ids"] as? [Int])?.map(UInt32.init) == trainer.vocabulary.ids)
    #expect(map["original_vocab_size"] as? Int == 151_936)
    #expect(map["vocab_size"] as? Int == trainer.vocabulary.size)
    try? FileManager.default.removeItem(atPath: dir)
  }

  @Test func sameRunSameBytes() throws {
    var files = [Data]()
    for _ in 0..<2 {
      let trainer = try Trainer(config: Tiny.config(), samples: [Tiny.packed, Tiny.single])
      _ = trainer.run(steps: 3)
      let dir = TestPaths.temporaryDirectory("prep-train")
      try trainer.save(to: dir)
      files.append(try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors")))
      try? FileManager.default.removeItem(atPath: dir)
    }
    #expect(files[0] == files[1])
  }
}
