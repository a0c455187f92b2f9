// PrepTemplate: placeholder until the module lands.
enum _PrepTemplatePlaceholder {}
