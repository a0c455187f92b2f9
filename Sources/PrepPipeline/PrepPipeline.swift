// PrepPipeline: placeholder until the module lands.
enum _PrepPipelinePlaceholder {}
