/// A first-in, first-out queue over an array, for the pipeline's coordinator and its `WorkGate`: an item is
/// released as soon as it is taken (it may hold a chunk or a frame's samples), and the taken prefix is dropped
/// every 64 items.
struct FIFO<Element> {
  private var items: [Element?] = []
  private var head = 0

  /// Items appended and not yet taken.
  var count: Int { items.count - head }

  /// The oldest item, left in place; nil when empty.
  var first: Element? { head < items.count ? items[head] : nil }

  mutating func append(_ item: Element) { items.append(item) }

  /// Takes the oldest item; nil when empty.
  mutating func removeFirst() -> Element? {
    guard head < items.count else { return nil }
    let item = items[head]
    items[head] = nil
    head += 1
    if head >= 64 {
      items.removeFirst(head)
      head = 0
    }
    return item
  }
}
