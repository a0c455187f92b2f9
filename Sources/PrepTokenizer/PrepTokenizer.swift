// PrepTokenizer: placeholder until the module lands.
enum _PrepTokenizerPlaceholder {}
