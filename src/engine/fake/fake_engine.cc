#include "engine/fake/fake_engine.h"

#include <algorithm>
#include <utility>

#include "wasm/encoding.h"

namespace kw::engine::fake {
namespace {

constexpr std::uint64_t kPageBytes = 64 * 1024;
constexpr std::uint32_t kMaxWasmPages = 65536;  // 4 GiB: the wasm32 address space

constexpr std::string_view kTimeoutText = "guest code interrupted, execution deadline exceeded";

std::uint8_t ValTypeByte(ValType t) {
  switch (t) {
    case ValType::kI32: return 0x7f;
    case ValType::kI64: return 0x7e;
    case ValType::kF32: return 0x7d;
    case ValType::kF64: return 0x7c;
    default: return 0x7f;  // the fake exchanges numbers only (engine::Value)
  }
}

void PutFuncType(std::vector<std::uint8_t>& out, const FuncType& type) {
  out.push_back(0x60);
  wasm::PutU32(out, type.params.size());
  for (ValType t : type.params) out.push_back(ValTypeByte(t));
  wasm::PutU32(out, type.results.size());
  for (ValType t : type.results) out.push_back(ValTypeByte(t));
}

// The module standing for `definition`: one type per import and per export, in that order.
std::vector<std::uint8_t> WriteGuestModule(const GuestDefinition& definition) {
  std::vector<std::uint8_t> out = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  const std::size_t imports = definition.imports.size();
  const std::size_t functions = definition.exports.size();
  std::vector<std::uint8_t> types, import_section, function_section, exports, code;
  wasm::PutU32(types, imports + functions);
  for (const GuestImport& i : definition.imports) PutFuncType(types, i.type);
  for (const auto& [name, type] : definition.exports) PutFuncType(types, type);
  wasm::PutSection(out, 1, types);
  if (imports > 0) {
    wasm::PutU32(import_section, imports);
    for (std::size_t i = 0; i < imports; ++i) {
      wasm::PutName(import_section, definition.imports[i].module);
      wasm::PutName(import_section, definition.imports[i].name);
      import_section.push_back(0x00);  // a function
      wasm::PutU32(import_section, i);
    }
    wasm::PutSection(out, 2, import_section);
  }
  wasm::PutU32(function_section, functions);
  for (std::size_t i = 0; i < functions; ++i) wasm::PutU32(function_section, imports + i);
  wasm::PutSection(out, 3, function_section);
  std::vector<std::uint8_t> memory = {0x01, 0x00};  // one memory, no maximum
  wasm::PutU32(memory, definition.memory_pages);
  wasm::PutSection(out, 5, memory);
  wasm::PutU32(exports, functions + 1);
  wasm::PutName(exports, "memory");
  exports.insert(exports.end(), {0x02, 0x00});
  std::size_t index = imports;
  for (const auto& [name, type] : definition.exports) {
    wasm::PutName(exports, name);
    exports.push_back(0x00);
    wasm::PutU32(exports, index++);
  }
  wasm::PutSection(out, 7, exports);
  wasm::PutU32(code, functions);
  for (std::size_t i = 0; i < functions; ++i) code.insert(code.end(), {0x03, 0x00, 0x00, 0x0b});
  wasm::PutSection(out, 10, code);  // bodies: `unreachable` (the C++ guest runs instead)
  std::vector<std::uint8_t> custom;
  wasm::PutName(custom, kGuestSectionName);
  custom.insert(custom.end(), definition.name.begin(), definition.name.end());
  wasm::PutSection(out, 0, custom);
  return out;
}

bool Matches(std::span<const Value> values, const std::vector<ValType>& types) {
  if (values.size() != types.size()) return false;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i].type != types[i]) return false;
  }
  return true;
}

bool Passed(const std::optional<std::chrono::steady_clock::time_point>& deadline) {
  return deadline && std::chrono::steady_clock::now() >= *deadline;
}

class FakeModule final : public Module {
 public:
  FakeModule(wasm::ModuleInfo info, std::uint32_t max_memory_pages,
             std::shared_ptr<const GuestDefinition> definition)
      : info_(std::move(info)),
        max_memory_pages_(max_memory_pages),
        definition_(std::move(definition)) {}
  const wasm::ModuleInfo& info() const override { return info_; }
  std::uint32_t max_memory_pages() const override { return max_memory_pages_; }
  bool from_code_cache() const override { return false; }
  const GuestDefinition& definition() const { return *definition_; }

 private:
  wasm::ModuleInfo info_;
  std::uint32_t max_memory_pages_;
  std::shared_ptr<const GuestDefinition> definition_;
};

class FakeMemory final : public GuestMemory {
 public:
  FakeMemory(std::uint32_t pages, std::uint32_t max_pages)
      : bytes_(pages * kPageBytes), max_pages_(max_pages) {}
  std::optional<std::span<std::uint8_t>> Span(std::uint32_t ptr, std::uint32_t len) override {
    if (std::uint64_t{ptr} + len > bytes_.size()) return std::nullopt;
    return std::span<std::uint8_t>(bytes_.data() + ptr, len);
  }
  std::uint64_t Size() override { return bytes_.size(); }
  std::optional<std::uint32_t> Grow(std::uint32_t delta_pages) {
    const auto pages = static_cast<std::uint32_t>(bytes_.size() / kPageBytes);
    if (std::uint64_t{pages} + delta_pages > max_pages_) return std::nullopt;
    bytes_.resize((std::uint64_t{pages} + delta_pages) * kPageBytes);
    return pages;
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::uint32_t max_pages_;
};

class FakeInstance final : public Instance, private GuestContext {
 public:
  FakeInstance(std::shared_ptr<const FakeModule> module,
               std::map<std::pair<std::string, std::string>, const HostFunction*> imports,
               GuestExports exports)
      : module_(std::move(module)),
        imports_(std::move(imports)),
        exports_(std::move(exports)),
        memory_(module_->definition().memory_pages, module_->max_memory_pages()) {}

  Result<std::vector<Value>> Call(std::string_view name, std::span<const Value> args,
                                  const CallOptions& options) override {
    const auto& declared = module_->definition().exports;
    auto type = declared.find(std::string(name));
    auto body = exports_.find(name);
    if (type == declared.end() || body == exports_.end()) {
      return Fail(ErrorKind::kNotFound, "no exported function `" + std::string(name) + "`");
    }
    if (!Matches(args, type->second.params)) {
      return Fail(ErrorKind::kInvalidArgument,
                  "arguments do not match the parameters of `" + std::string(name) + "`");
    }
    // A nested call (from a host function) keeps the outer call's deadline, as engine.h says.
    if (depth_ == 0) deadline_ = options.deadline;
    if (Passed(deadline_)) return Fail(ErrorKind::kTimeout, std::string(kTimeoutText));
    // Each call level owns the host error raised inside it.
    std::optional<Error> outer_host_error = std::exchange(host_error_, std::nullopt);
    ++depth_;
    Result<std::vector<Value>> result = body->second(*this, args);
    --depth_;
    std::optional<Error> host_error = std::exchange(host_error_, std::move(outer_host_error));
    if (host_error) return std::unexpected(std::move(*host_error));
    if (result && !Matches(*result, type->second.results)) {
      return Fail(ErrorKind::kInternal, "the fake guest's `" + std::string(name) +
                                            "` returned values of the wrong types");
    }
    return result;
  }

  bool HasFunction(std::string_view name) const override {
    return module_->definition().exports.contains(std::string(name)) && exports_.contains(name);
  }
  std::optional<std::int32_t> GlobalI32(std::string_view) override { return std::nullopt; }
  GuestMemory& memory() override { return memory_; }

 private:
  std::optional<std::uint32_t> GrowMemory(std::uint32_t delta_pages) override {
    return memory_.Grow(delta_pages);
  }

  HostResult CallImport(std::string_view module, std::string_view name,
                        std::span<const Value> args) override {
    auto it = imports_.find({std::string(module), std::string(name)});
    if (it == imports_.end()) {
      return Fail(ErrorKind::kInternal, "the fake guest calls `" + std::string(module) + "::" +
                                            std::string(name) + "`, which it does not import");
    }
    const HostFunction& fn = *it->second;
    if (!Matches(args, fn.type.params)) {
      return Fail(ErrorKind::kInternal, "the fake guest calls `" + fn.module + "::" + fn.name +
                                            "` with arguments of the wrong types");
    }
    // The watchdog interrupts loops over host calls too.
    HostResult result = Passed(deadline_)
                            ? Fail(ErrorKind::kTimeout, std::string(kTimeoutText))
                            : fn.callback(memory_, args);
    if (!result) host_error_ = result.error();
    return result;
  }

  Error RunForever() override {
    if (deadline_) return Error(ErrorKind::kTimeout, std::string(kTimeoutText));
    return Error(ErrorKind::kInternal,
                 "the fake guest loops forever without a deadline: a real engine would hang");
  }

  std::shared_ptr<const FakeModule> module_;
  std::map<std::pair<std::string, std::string>, const HostFunction*> imports_;
  GuestExports exports_;
  FakeMemory memory_;
  int depth_ = 0;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::optional<Error> host_error_;
};

class FakeWorker final : public Worker {
 public:
  Result<InstancePtr> Instantiate(const ModuleSharedPtr& module, const Linker& linker,
                                  const CallOptions&) override {
    auto fake = std::dynamic_pointer_cast<const FakeModule>(module);
    if (fake == nullptr) {
      return Fail(ErrorKind::kBadModule, "the module was not compiled by the fake engine");
    }
    std::map<std::pair<std::string, std::string>, const HostFunction*> imports;
    for (const wasm::Import& import : fake->info().imports) {
      KW_ASSIGN_OR_RETURN(const HostFunction* fn, ResolveFunctionImport(linker, import));
      imports[{import.module, import.name}] = fn;
    }
    GuestExports exports = fake->definition().instantiate();
    return InstancePtr(
        std::make_unique<FakeInstance>(std::move(fake), std::move(imports), std::move(exports)));
  }
};

}  // namespace

FakeEngine::FakeEngine(EngineOptions options) : options_(options) {}
FakeEngine::~FakeEngine() = default;

std::vector<std::uint8_t> FakeEngine::Register(GuestDefinition definition) {
  std::vector<std::uint8_t> bytes = WriteGuestModule(definition);
  std::lock_guard lock(mutex_);
  std::string name = definition.name;
  guests_[name] = std::make_shared<const GuestDefinition>(std::move(definition));
  return bytes;
}

Result<ModuleSharedPtr> FakeEngine::Compile(std::span<const std::uint8_t> bytes,
                                            const CompileOptions& options) const {
  if (!wasm::HasWasmMagic(bytes)) {
    return Fail(ErrorKind::kBadModule, "invalid WebAssembly module: no wasm magic number");
  }
  KW_ASSIGN_OR_RETURN(wasm::ModuleInfo info, wasm::Inspect(bytes));
  auto section = info.FindCustomSection(kGuestSectionName);
  if (!section) {
    return Fail(ErrorKind::kBadModule, "the fake engine runs only modules with a `" +
                                           std::string(kGuestSectionName) + "` section");
  }
  std::string name(section->begin(), section->end());
  std::shared_ptr<const GuestDefinition> definition;
  {
    std::lock_guard lock(mutex_);
    auto it = guests_.find(name);
    if (it == guests_.end()) {
      return Fail(ErrorKind::kBadModule, "no fake guest is registered as `" + name + "`");
    }
    definition = it->second;
  }
  std::uint32_t cap =
      std::min(options.max_memory_pages.value_or(options_.max_memory_pages), kMaxWasmPages);
  if (definition->memory_pages > cap) {
    return Fail(ErrorKind::kOutOfMemory,
                "the module's initial memory (" + std::to_string(definition->memory_pages) +
                    " pages) is above its cap of " + std::to_string(cap) + " pages");
  }
  info.custom_sections.clear();  // they borrow `bytes`, which the module does not keep
  return ModuleSharedPtr(std::make_shared<FakeModule>(std::move(info), cap, std::move(definition)));
}

bool FakeEngine::WaitForCodeCacheWrites(std::chrono::milliseconds) const { return true; }

Result<WorkerPtr> FakeEngine::CreateWorker() const {
  return WorkerPtr(std::make_unique<FakeWorker>());
}

}  // namespace kw::engine::fake
