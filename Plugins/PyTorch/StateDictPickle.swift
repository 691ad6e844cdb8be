import LlamaCore
import LlamaFormats

/// The `data.pkl` of a state dict as `torch.save` writes it at pickle protocol 2 (formats.md
/// §5.2): an `OrderedDict` of name → `torch._utils._rebuild_tensor_v2(storage, 0, size, stride,
/// False, OrderedDict())`, each tensor with its own storage `data/<i>` (a persistent id
/// `("storage", torch.<Type>Storage, "<i>", "cpu", numel)`). Only globals that torch's
/// `weights_only` unpickler (and LlamaKit's reader) allow are used; no memo is needed.
enum StateDictPickle {
  static func storageClass(_ type: DType) -> String? {
    TorchGlobal.storageClasses.first { $0.value == type && $0.key != "UntypedStorage" }?.key
  }

  /// The pickle for `plans`, storage keys "0", "1", … in order.
  static func serialize(_ plans: [TensorPlan], path: String) throws -> [UInt8] {
    var out: [UInt8] = [0x80, 2]  // PROTO 2
    func global(_ module: String, _ name: String) { out += [0x63] + Array("\(module)\n\(name)\n".utf8) }
    func string(_ text: String) {
      let bytes = Array(text.utf8)
      out.append(0x58)  // BINUNICODE
      for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: bytes.count >> shift)) }
      out += bytes
    }
    func integer(_ value: Int) {
      switch value {
      case 0..<0x100: out += [0x4B, UInt8(value)]  // BININT1
      case 0x100..<0x1_0000: out += [0x4D, UInt8(value & 0xFF), UInt8(value >> 8)]  // BININT2
      case -0x8000_0000..<0x8000_0000:  // BININT
        out.append(0x4A)
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> shift)) }
      default:  // LONG1: little-endian two's complement, 8 bytes
        out += [0x8A, 8]
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> shift)) }
      }
    }
    func tuple(_ values: [Int]) {
      if values.count > 3 { out.append(0x28) }  // MARK
      for value in values { integer(value) }
      switch values.count {
      case 0: out.append(0x29)  // EMPTY_TUPLE
      case 1: out.append(0x85)
      case 2: out.append(0x86)
      case 3: out.append(0x87)
      default: out.append(0x74)  // TUPLE
      }
    }
    func emptyOrderedDict() {
      global("collections", "OrderedDict")
      out += [0x29, 0x52]  // EMPTY_TUPLE, REDUCE
    }

    emptyOrderedDict()
    for (index, plan) in plans.enumerated() {
      guard let storage = storageClass(plan.type) else {
        throw FormatError.unwritable(path: path, detail: "tensor \(plan.name): a torch checkpoint holds no \(plan.type) tensors")
      }
      if index % 1000 == 0 { out.append(0x28) }  // MARK: SETITEMS in batches of 1000, as pickle does
      string(plan.name)
      global("torch._utils", "_rebuild_tensor_v2")
      out.append(0x28)  // MARK: the arguments
      out.append(0x28)  // MARK: the persistent id
      string("storage")
      global("torch", storage)
      string(String(index))
      string("cpu")
      integer(plan.shape.reduce(1, *))
      out += [0x74, 0x51]  // TUPLE, BINPERSID
      integer(0)  // storage offset
      tuple(plan.shape)
      var strides = [Int](repeating: 1, count: plan.shape.count)
      for d in stride(from: plan.shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * plan.shape[d + 1] }
      tuple(strides)
      out.append(0x89)  // NEWFALSE: requires_grad
      emptyOrderedDict()  // backward hooks
      out += [0x74, 0x52]  // TUPLE, REDUCE
      if index % 1000 == 999 || index == plans.count - 1 { out.append(0x75) }  // SETITEMS
    }
    out.append(0x2E)  // STOP
    return out
  }
}
