import GGUF
import Llama2C
import LlamaFormats
import PyTorch
import Safetensors

/// The checkpoint formats LlamaKit reads, in the order they are tried (safetensors before
/// pytorch_model.bin for a Hugging Face folder holding both, as transformers prefers). A new
/// format plugin is registered by adding one line here.
public let builtinFormats = FormatRegistry([
  GGUFFormat.self,
  SafetensorsFormat.self,
  PyTorchFormat.self,
  Llama2CFormat.self,
])
