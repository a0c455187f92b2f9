// PrepInput: placeholder until the module lands.
enum _PrepInputPlaceholder {}
