import PrepCore

/// LLaMA-Factory's supervised encoding with `template: qwen` (`Template._encode` and
/// `SupervisedDatasetProcessor._encode_data_example`), shared by the conversation and alpaca recipes.
///
/// Each pair's prompt is the system block `<|im_start|>system\n{system}<|im_end|>\n` (first pair only, when
/// `system` is not empty) followed by `<|im_start|>{userRole}\n{user}<|im_end|>\n<|im_start|>{assistantRole}\n`,
/// its response `{assistant}<|im_end|>\n`, each slot tokenized by its own call. `cutoff` (`cutoff_len`) is shared
/// pair by pair with `inferSeqlen` until it is used up; with `maskHistory` the pairs are taken last first and
/// prepended, and only the last response is trained; with `trainOnPrompt` the prompts are trained too.
struct LlamaFactoryEncoding {
  var userRole = "user"
  var assistantRole = "assistant"
  var cutoff: Int?
  var maskHistory = false
  var trainOnPrompt = false

  /// The ids, trained flags and whether anything was cut or dropped.
  func encode<E: TokenEncoder>(
    system: String, pairs: [(user: String, assistant: String)], context: RecipeContext<E>
  ) -> (ids: [UInt32], trained: [UInt8], truncated: Bool) {
    let limit = cutoff ?? Int.max / 4
    var order = Array(pairs.indices)
    if maskHistory { order.reverse() }
    var ids = [UInt32]()
    var trained = [UInt8]()
    var total = 0
    var truncated = false
    for (k, index) in order.enumerated() {
      if total >= limit {
        truncated = true
        break
      }
      var source = [UInt32]()
      if index == 0 && !system.isEmpty {
        context.encode("<|im_start|>system\n" + system + "<|im_end|>\n", into: &source)
      }
      context.encode(
        "<|im_start|>" + userRole + "\n" + pairs[index].user + "<|im_end|>\n<|im_start|>" + assistantRole + "\n",
        into: &source)
      var target = [UInt32]()
      context.encode(pairs[index].assistant + "<|im_end|>\n", into: &target)
      let (sourceLength, targetLength) = inferSeqlen(source: source.count, target: target.count, cutoff: limit - total)
      if sourceLength < source.count || targetLength < target.count { truncated = true }
      total += sourceLength + targetLength
      let pairIDs = Array(source[..<sourceLength]) + target[..<targetLength]
      var pairTrained = [UInt8](repeating: trainOnPrompt ? 1 : 0, count: sourceLength)
      pairTrained += repeatElement(maskHistory && k != 0 ? 0 : 1, count: targetLength)
      if maskHistory {
        ids = pairIDs + ids
        trained = pairTrained + trained
      } else {
        ids += pairIDs
        trained += pairTrained
      }
    }
    return (ids, trained, truncated)
  }
}
