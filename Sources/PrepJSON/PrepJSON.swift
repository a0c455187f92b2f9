// PrepJSON: placeholder until the module lands.
enum _PrepJSONPlaceholder {}
