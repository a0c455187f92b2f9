import PrepCore
import PrepJSON
import PrepTemplate
import Testing

/// The recipes against the oracle's own outputs (`Golden/oracle.json`, made by `Golden/make_golden.py` with the
/// real Qwen3 tokenizer), replayed through `GoldenEncoder`, which knows only the texts the oracle tokenized.
@Suite struct OracleGoldenTests {
  let golden: Golden
  let context: RecipeContext<GoldenEncoder>

  init() throws {
    golden = try Golden.load()
    context = try RecipeContext(encoder: golden.encoder)
  }

  private func check(_ recipe: some Recipe, _ name: String, labels: Bool = true) throws {
    let cases = golden.cases(name)
    #expect(!cases.isEmpty)
    for (index, (record, output)) in cases.enumerated() {
      let sample = try #require(try recipe.apply(record, context: context).sample, "\(name) case \(index)")
      #expect(sample.ids == ids(output["input_ids"]), "\(name) case \(index): input_ids")
      if labels { #expect(sample.labels == labelList(output["labels"]), "\(name) case \(index): labels") }
    }
  }

  @Test func fudanSeed() throws { try check(FudanRecipe(.seed()), "fudan") }

  @Test func belleQwen1() throws { try check(ConversationRecipe(.init(maxLength: 300)), "belle") }

  @Test func alpaca() throws {
    try check(AlpacaRecipe(.init(cutoffLength: 256, allowUnfilledPlaceholders: true)), "alpaca")
  }

  @Test func belleWithUserRole() throws {
    try check(ConversationRecipe(.init(userRole: "user", maxLength: 120)), "belle_user")
  }

  @Test func alpacaIdentityWithoutSystem() throws {
    let variables = ["name": "小助手", "author": "prep"]
    try check(AlpacaRecipe(.init(system: "", cutoffLength: 64, variables: variables)), "alpaca_identity")
  }

  @Test func chatWholeString() throws { try check(ChatRecipe(), "chat", labels: false) }

  @Test func monkeyDocumentsAreTheOracleSegments() throws {
    // Default mode, empty text kept as the oracle does: enc(text) + <|endoftext|>.
    let recipe = PretrainRecipe(.init(emptyText: .keep))
    guard case .array(let docs)? = golden.root["monkey_documents"] else {
      Issue.record("no documents")
      return
    }
    let records = golden.cases("monkey")
    #expect(!records.isEmpty)
    guard case .object(let entry)? = golden.root["monkey"], case .array(let rs)? = entry["records"] else { return }
    var stream = [UInt32]()
    for (r, d) in zip(rs, docs) {
      guard case .object(let record) = r else { continue }
      let outcome = try recipe.apply(record, context: context)
      #expect(outcome == .document(ids(d) + [151_643]))
      if case .document(let doc) = outcome { stream += doc }
    }
    // The oracle's blocks of 16 are the stream cut every 16 ids.
    let blocks = records.map { ids($0.output["input_ids"]) }
    #expect(blocks == stride(from: 0, to: stream.count - 15, by: 16).map { Array(stream[$0..<($0 + 16)]) })
  }
}
