#include "engine/fake/fake_wapc_guest.h"

#include <memory>
#include <utility>

namespace kw::engine::fake {
namespace {

constexpr ValType I32 = ValType::kI32;
constexpr std::uint64_t kPageBytes = 64 * 1024;

std::vector<GuestImport> WapcImports() {
  auto wapc = [](std::string name, FuncType type) {
    return GuestImport{"wapc", std::move(name), std::move(type)};
  };
  return {
      wapc("__guest_request", {{I32, I32}, {}}),
      wapc("__guest_response", {{I32, I32}, {}}),
      wapc("__guest_error", {{I32, I32}, {}}),
      wapc("__host_call", {{I32, I32, I32, I32, I32, I32, I32, I32}, {I32}}),
      wapc("__host_response_len", {{}, {I32}}),
      wapc("__host_response", {{I32}, {}}),
      wapc("__host_error_len", {{}, {I32}}),
      wapc("__host_error", {{I32}, {}}),
      wapc("__console_log", {{I32, I32}, {}}),
  };
}

Value I32Value(std::uint64_t v) { return Value::I32(static_cast<std::int32_t>(v)); }

// One guest call's view of the waPC protocol. Guest memory is a bump arena restarted at each
// __guest_call: nothing outlives a call, as in a guest that frees everything it allocated.
class WapcCall final : public WapcGuestCall {
 public:
  explicit WapcCall(GuestContext& context) : context_(context) {}

  GuestContext& context() override { return context_; }

  Result<std::uint32_t> Alloc(std::uint64_t len) {
    std::uint64_t end = next_ + len;
    if (end > UINT32_MAX) return Fail(ErrorKind::kOutOfMemory, "fake waPC guest: out of memory");
    std::uint64_t size = context_.memory().Size();
    if (end > size) {
      auto pages = static_cast<std::uint32_t>((end - size + kPageBytes - 1) / kPageBytes);
      if (!context_.GrowMemory(pages)) {
        return Fail(ErrorKind::kOutOfMemory, "fake waPC guest: memory.grow failed at the cap");
      }
    }
    auto ptr = static_cast<std::uint32_t>(next_);
    next_ = end;
    return ptr;
  }

  Result<std::uint32_t> Put(std::string_view bytes) {
    KW_ASSIGN_OR_RETURN(std::uint32_t ptr, Alloc(bytes.size()));
    context_.memory().Write(ptr, bytes);  // in bounds: just allocated
    return ptr;
  }

  Result<std::string> Get(std::uint32_t ptr, std::uint32_t len) {
    std::string out;
    if (!context_.memory().Read(ptr, len, out)) {
      return Fail(ErrorKind::kInternal, "fake waPC guest: reading outside its own memory");
    }
    return out;
  }

  HostResult Import(std::string_view name, std::initializer_list<Value> args) {
    return context_.CallImport("wapc", name, std::span<const Value>(args.begin(), args.size()));
  }

  // The answer of a __*_len / __* getter pair (__host_response or __host_error).
  Result<std::string> Fetch(std::string_view len_import, std::string_view import) {
    KW_ASSIGN_OR_RETURN(std::optional<Value> len, Import(len_import, {}));
    KW_ASSIGN_OR_RETURN(std::uint32_t ptr, Alloc(len->u32()));
    KW_TRY(Import(import, {I32Value(ptr)}));
    return Get(ptr, len->u32());
  }

  Result<std::string> HostCall(std::string_view binding, std::string_view name_space,
                               std::string_view operation, std::string_view payload) override {
    std::vector<Value> args;
    for (std::string_view part : {binding, name_space, operation, payload}) {
      KW_ASSIGN_OR_RETURN(std::uint32_t ptr, Put(part));
      args.push_back(I32Value(ptr));
      args.push_back(I32Value(part.size()));
    }
    KW_ASSIGN_OR_RETURN(std::optional<Value> ok, context_.CallImport("wapc", "__host_call", args));
    if (ok->i32 == 1) return Fetch("__host_response_len", "__host_response");
    KW_ASSIGN_OR_RETURN(std::string error, Fetch("__host_error_len", "__host_error"));
    return Fail(ErrorKind::kGuestError, std::move(error));
  }

  // __guest_call(operation_len, payload_len) -> 1 (response) | 0 (error).
  Result<std::vector<Value>> Run(std::span<const Value> args, const WapcHandler& handler) {
    std::uint32_t operation_len = args[0].u32(), payload_len = args[1].u32();
    KW_ASSIGN_OR_RETURN(std::uint32_t operation_ptr, Alloc(operation_len));
    KW_ASSIGN_OR_RETURN(std::uint32_t payload_ptr, Alloc(payload_len));
    KW_TRY(Import("__guest_request", {I32Value(operation_ptr), I32Value(payload_ptr)}));
    KW_ASSIGN_OR_RETURN(std::string operation, Get(operation_ptr, operation_len));
    KW_ASSIGN_OR_RETURN(std::string payload, Get(payload_ptr, payload_len));
    Result<std::string> answer = handler(operation, payload, *this);
    if (!answer && answer.error().kind != ErrorKind::kGuestError) {
      return std::unexpected(std::move(answer).error());
    }
    const std::string& text = answer ? *answer : answer.error().message;
    KW_ASSIGN_OR_RETURN(std::uint32_t ptr, Put(text));
    KW_TRY(Import(answer ? "__guest_response" : "__guest_error",
                  {I32Value(ptr), I32Value(text.size())}));
    return std::vector<Value>{Value::I32(answer ? 1 : 0)};
  }

 private:
  GuestContext& context_;
  std::uint64_t next_ = 0;
};

}  // namespace

std::vector<std::uint8_t> RegisterStatefulWapcGuest(FakeEngine& engine, std::string name,
                                                    std::function<WapcHandler()> per_instance) {
  GuestDefinition definition;
  definition.name = std::move(name);
  definition.imports = WapcImports();
  definition.exports = {{"__guest_call", {{I32, I32}, {I32}}}};
  definition.instantiate = [per_instance = std::move(per_instance)] {
    auto handler = std::make_shared<const WapcHandler>(per_instance());
    return GuestExports{{"__guest_call", [handler](GuestContext& context,
                                                   std::span<const Value> args) {
                           return WapcCall(context).Run(args, *handler);
                         }}};
  };
  return engine.Register(std::move(definition));
}

std::vector<std::uint8_t> RegisterWapcGuest(FakeEngine& engine, std::string name,
                                            WapcHandler handler) {
  return RegisterStatefulWapcGuest(engine, std::move(name),
                                   [handler = std::move(handler)] { return handler; });
}

}  // namespace kw::engine::fake
