// V8 behind engine::Engine. Set-up choices follow ../shared/notes/v8-embedding.md, measured on
// this machine: --no-wasm-dynamic-tiering (dynamic tier-up halved throughput with two threads
// sharing a module), the wasm trap handler (guard-page bounds checks), one isolate per worker
// thread, compiled code shared through CompiledWasmModule, an explicit stack limit, memory caps
// by rewriting the memory section, and TerminateExecution from a watchdog for deadlines.
//
// The code cache (CompileOptions::code_cache) uses only public V8 API: serialized code is loaded
// through the streaming compilation API and stored from a WasmStreaming::Client once TurboFan is
// done; see "Code cache" and V8Engine below for why each step is done the way it is.
#include "engine/v8/v8_engine.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <libplatform/libplatform.h>
#include <v8.h>

#include "base/sha256.h"
#include "engine/v8/watchdog.h"

namespace kw::engine {
namespace {

constexpr std::size_t kWasmPageSize = 64 * 1024;
// The deepest guest stack we allow, and the head-room kept below it for V8 and our host code.
constexpr std::size_t kMaxGuestStack = 4 * 1024 * 1024;
constexpr std::size_t kStackReserve = 192 * 1024;
// Each worker's JavaScript heap. Guests cannot allocate on it except through what the host
// builds for them: instances' tables, export wrappers and import bindings, bounded per module by
// wasm::DeclaredSizeLimits.
constexpr std::size_t kWorkerHeapBytes = 64 * 1024 * 1024;
// Pending platform tasks (GC bookkeeping) are run every this many calls.
constexpr unsigned kPumpEvery = 64;

// Liftoff first, then TurboFan eagerly in the background: no dynamic tier-up contention. The
// table cap bounds table.grow, which allocates on the JavaScript heap (CheckDeclaredSizes bounds
// what a module declares; both use DeclaredSizeLimits::table_entries). Flags shape the
// generated code, so they are part of the code-cache key too.
constexpr std::string_view kV8Flags = "--no-wasm-dynamic-tiering --wasm-max-table-size=1000000";
static_assert(wasm::DeclaredSizeLimits{}.table_entries == 1'000'000);
// Names the layout of what we cache; bump it if that ever changes in a way the V8 version and
// flags do not capture.
constexpr std::string_view kCodeCacheFormat = "kubewarden-cpp v8 code 1";

v8::Platform* g_platform = nullptr;

void InitializeV8Once() {
  static std::once_flag once;
  std::call_once(once, [] {
    v8::V8::SetFlagsFromString(kV8Flags.data(), kV8Flags.size());
    static std::unique_ptr<v8::Platform> platform = v8::platform::NewDefaultPlatform(2);
    g_platform = platform.get();
    v8::V8::InitializePlatform(g_platform);
    // Out-of-bounds wasm memory accesses become signals handled by V8 instead of explicit checks.
    v8::V8::EnableWebAssemblyTrapHandler(true);
    v8::V8::Initialize();
  });
}

v8::Local<v8::String> Str(v8::Isolate* isolate, std::string_view s) {
  return v8::String::NewFromUtf8(isolate, s.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(s.size()))
      .ToLocalChecked();
}

// Sets a data property of an object the host built. That cannot fail unless an exception is
// pending, which the caller's TryCatch then reports, so the result carries nothing to act on.
void SetMember(v8::Local<v8::Context> ctx, v8::Local<v8::Object> object, v8::Local<v8::Value> key,
               v8::Local<v8::Value> value) {
  if (object->Set(ctx, key, value).IsNothing()) return;
}

std::string ToStdString(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::String::Utf8Value utf8(isolate, value);
  return *utf8 ? std::string(*utf8, utf8.length()) : std::string("<unprintable exception>");
}

v8::Local<v8::Value> ToV8(v8::Isolate* isolate, const Value& v) {
  switch (v.type) {
    case ValType::kI32: return v8::Integer::New(isolate, v.i32);
    case ValType::kI64: return v8::BigInt::New(isolate, v.i64);
    case ValType::kF32: return v8::Number::New(isolate, v.f32);
    case ValType::kF64: return v8::Number::New(isolate, v.f64);
    default: return v8::Undefined(isolate);
  }
}

Value FromV8(v8::Local<v8::Context> ctx, v8::Local<v8::Value> v, std::optional<ValType> type) {
  if (!type) {
    if (v->IsBigInt()) type = ValType::kI64;
    else if (v->IsInt32()) type = ValType::kI32;
    else type = ValType::kF64;
  }
  switch (*type) {
    case ValType::kI32:
      return Value::I32(v->IsInt32() ? v.As<v8::Int32>()->Value() : v->Int32Value(ctx).FromMaybe(0));
    case ValType::kI64:
      return Value::I64(v->IsBigInt() ? v.As<v8::BigInt>()->Int64Value() : 0);
    case ValType::kF32:
      return Value::F32(static_cast<float>(v->NumberValue(ctx).FromMaybe(0)));
    default:
      return Value::F64(v->NumberValue(ctx).FromMaybe(0));
  }
}

class V8Module final : public Module {
 public:
  V8Module(wasm::ModuleInfo info, v8::CompiledWasmModule compiled, std::uint32_t max_memory_pages,
           bool from_code_cache)
      : info_(std::move(info)),
        compiled_(std::move(compiled)),
        max_memory_pages_(max_memory_pages),
        from_code_cache_(from_code_cache) {}
  const wasm::ModuleInfo& info() const override { return info_; }
  std::uint32_t max_memory_pages() const override { return max_memory_pages_; }
  bool from_code_cache() const override { return from_code_cache_; }
  const v8::CompiledWasmModule& compiled() const { return compiled_; }

 private:
  wasm::ModuleInfo info_;
  v8::CompiledWasmModule compiled_;
  std::uint32_t max_memory_pages_;
  bool from_code_cache_;
};

// ---------------------------------------------------------------------------------------------
// Code cache

// The key of `capped` (memory-capped wire bytes) compiled with `max_pages`: everything that
// decides the machine code. V8's version and our flags change it; the trap handler (always on
// here) decides whether memory accesses carry bounds checks; the cap is in the capped bytes
// already and is spelled out anyway. V8 also stamps its serialized code with its version, flag
// hash and CPU features and refuses a mismatch, but it does not check that the code belongs to
// the wire bytes it is given: the key, bound to the exact bytes, is what guarantees that.
std::string CodeCacheKey(std::span<const std::uint8_t> capped, std::uint32_t max_pages) {
  std::string identity = std::string(kCodeCacheFormat) + "\n" + V8Version() + "\n" +
                         std::string(kV8Flags) + "\ntrap-handler\nmax-pages " +
                         std::to_string(max_pages) + "\n";
  return Sha256Hex(Sha256({AsBytes(identity), capped}));
}

// One engine's code stores: how many compiled modules still await theirs (for
// WaitForCodeCacheWrites), and whether stores may still run at all. They may not once the engine
// is destroyed, nor once the process is exiting: V8 finishes optimizations on its own threads
// until its platform is torn down, and a store then ran SHA-256 after OpenSSL's exit handler had
// freed its state, and crashed.
class PendingCodeWrites {
 public:
  void Add() {
    std::lock_guard lock(mutex_);
    ++count_;
  }
  void Done() {
    {
      std::lock_guard lock(mutex_);
      --count_;
    }
    changed_.notify_all();
  }
  bool Wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return count_ == 0; });
  }

  // Admits one store unless closed; every true must be followed by Leave().
  bool Enter() {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    ++storing_;
    return true;
  }
  void Leave() {
    {
      std::lock_guard lock(mutex_);
      --storing_;
    }
    changed_.notify_all();
  }
  // Refuses further stores and waits for those under way.
  void Close() {
    std::unique_lock lock(mutex_);
    closed_ = true;
    changed_.wait(lock, [this] { return storing_ == 0; });
  }

  // Has `pending` closed when the process exits. Call only after OpenSSL is initialized (after a
  // first SHA-256): exit handlers run in reverse order of registration, so ours then runs first.
  static void CloseAtExit(const std::shared_ptr<PendingCodeWrites>& pending) {
    static std::mutex mutex;
    static std::vector<std::weak_ptr<PendingCodeWrites>>* all =
        new std::vector<std::weak_ptr<PendingCodeWrites>>();  // still usable during exit
    static std::once_flag registered;
    std::call_once(registered, [] {
      std::atexit([] {
        std::lock_guard lock(mutex);
        for (const auto& weak : *all) {
          if (auto p = weak.lock()) p->Close();
        }
      });
    });
    std::lock_guard lock(mutex);
    all->push_back(pending);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t count_ = 0;
  std::size_t storing_ = 0;
  bool closed_ = false;
};

// Stores a module's code once V8 has optimized all of it. V8 10.2 serializes only TurboFan code:
// while TurboFan still runs in the background, Serialize() returns nothing or marks the
// functions not optimized yet as "compile lazily", which would move compilation to the first
// calls after a restart. WasmStreaming::Client::OnModuleCompiled is V8's signal that top-tier
// compilation has finished; it arrives on a V8 background thread, or on the compiling thread
// when the module was already optimized. V8 calls it only when it compiled, never when it used
// our cached code.
class CodeWriter final : public v8::WasmStreaming::Client {
 public:
  CodeWriter(CodeCacheSharedPtr cache, std::string key, std::shared_ptr<PendingCodeWrites> pending)
      : cache_(std::move(cache)), key_(std::move(key)), pending_(std::move(pending)) {}
  // V8 drops its reference without calling OnModuleCompiled when the module dies first.
  ~CodeWriter() override { Finish(); }

  // Counts this write as pending, once the caller knows V8 compiled (did not use cached code).
  void Arm() {
    std::lock_guard lock(mutex_);
    if (finished_ || armed_) return;
    armed_ = true;
    pending_->Add();
  }

  void OnModuleCompiled(v8::CompiledWasmModule compiled) override {
    if (pending_->Enter()) {
      v8::OwnedBuffer code = compiled.Serialize();
      if (code.size > 0) {
        cache_->Put(key_, std::span<const std::uint8_t>(code.buffer.get(), code.size));
      }
      pending_->Leave();
    }
    Finish();
  }

 private:
  void Finish() {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    finished_ = true;
    if (armed_) pending_->Done();
  }

  CodeCacheSharedPtr cache_;
  std::string key_;
  std::shared_ptr<PendingCodeWrites> pending_;
  std::mutex mutex_;
  bool armed_ = false;
  bool finished_ = false;
};

class V8Worker;
class V8Instance;

// What a host function's v8::Function carries in its Data slot.
struct Binding {
  const HostFunction* fn;
  V8Instance* instance;
};

class V8Instance final : public Instance, public GuestMemory {
 public:
  V8Instance(V8Worker* worker, ModuleSharedPtr module) : worker_(worker), module_(std::move(module)) {}
  ~V8Instance() override;
  const Module& module() const { return *module_; }

  Result<std::vector<Value>> Call(std::string_view name, std::span<const Value> args,
                                  const CallOptions& options) override;
  bool HasFunction(std::string_view name) const override;
  std::optional<std::int32_t> GlobalI32(std::string_view name) override;
  GuestMemory& memory() override { return *this; }

  std::optional<std::span<std::uint8_t>> Span(std::uint32_t ptr, std::uint32_t len) override;
  std::uint64_t Size() override;

 private:
  friend class V8Worker;
  static void HostTrampoline(const v8::FunctionCallbackInfo<v8::Value>& info);

  struct ExportedFunction {
    v8::Global<v8::Function> fn;
    std::optional<FuncType> type;
  };
  const ExportedFunction* FindFunction(std::string_view name);

  V8Worker* worker_;
  ModuleSharedPtr module_;
  v8::Global<v8::Object> exports_;
  v8::Global<v8::WasmMemoryObject> memory_;
  std::vector<std::unique_ptr<Binding>> bindings_;
  std::unordered_map<std::string, ExportedFunction> functions_;
  // The first error a host function reported during the current call. It wins over whatever the
  // guest does next, so a guest that catches the exception cannot hide the failure.
  std::optional<Error> host_error_;
};

class V8Worker final : public Worker {
 public:
  V8Worker();
  ~V8Worker() override;

  Result<InstancePtr> Instantiate(const ModuleSharedPtr& module, const Linker& linker,
                                  const CallOptions& options) override;
  void ReleaseMemory() override {
    v8::Isolate::Scope isolate_scope(isolate_);
    isolate_->LowMemoryNotification();
  }

  v8::Isolate* isolate() const { return isolate_; }
  v8::Local<v8::Context> context() const { return context_.Get(isolate_); }
  // True while a guest call runs on this worker (so a new call is nested in a host function).
  bool in_guest_call() const { return call_depth_ > 0; }

  // Runs `invoke` under the deadline and turns whatever went wrong into a typed Error.
  template <typename Invoke>
  Result<v8::Local<v8::Value>> Guarded(const CallOptions& options, V8Instance* instance,
                                       std::optional<Error>* host_error, Invoke&& invoke);

 private:
  static std::size_t NearHeapLimit(void* data, std::size_t current, std::size_t initial);
  // A WebAssembly.Memory for memory import `import`: initial max(declared min, min_pages)
  // pages, maximum min(declared max, cap_pages).
  Result<v8::Local<v8::Object>> NewMemory(v8::Local<v8::Context> ctx, const wasm::Import& import,
                                          std::uint32_t cap_pages, std::uint32_t min_pages);
  Error Classify(v8::TryCatch& try_catch, V8Instance* instance);

  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
  v8::Global<v8::Context> context_;
  v8::Global<v8::Function> instance_ctor_;
  v8::Global<v8::Function> memory_ctor_;
  Watchdog::Slot* slot_ = nullptr;
  // Guest calls under way on this worker: above 1, a host function called back into the guest,
  // and the outermost call owns the deadline (see Guarded).
  unsigned call_depth_ = 0;
  bool heap_exhausted_ = false;
  unsigned calls_since_pump_ = 0;
};

// ---------------------------------------------------------------------------------------------
// V8Worker

V8Worker::V8Worker() {
  allocator_.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  params.constraints.ConfigureDefaultsFromHeapSize(0, kWorkerHeapBytes);
  isolate_ = v8::Isolate::New(params);
  isolate_->AddNearHeapLimitCallback(&V8Worker::NearHeapLimit, this);
  // NearHeapLimit raises the limit to let V8 unwind; once the failed guest's objects are
  // collected, the original limit comes back, so a guest cannot ratchet it up.
  isolate_->AutomaticallyRestoreInitialHeapLimit(0.5);

  // V8 assumes ~1 MB of stack below where it is entered; derive the real limit from this
  // thread's stack so small thread stacks get a clean RangeError instead of a SIGSEGV.
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* stack_addr = nullptr;
    std::size_t stack_size = 0;
    pthread_attr_getstack(&attr, &stack_addr, &stack_size);
    pthread_attr_destroy(&attr);
    auto low = reinterpret_cast<std::uintptr_t>(stack_addr);
    auto sp = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    if (sp > low) {
      std::size_t available = sp - low;
      std::size_t usable =
          available > 2 * kStackReserve ? available - kStackReserve : available / 2;
      isolate_->SetStackLimit(sp - std::min(usable, kMaxGuestStack));
    }
  }

  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> ctx = v8::Context::New(isolate_);
  context_.Reset(isolate_, ctx);
  v8::Context::Scope context_scope(ctx);
  v8::Local<v8::Object> wasm_ns =
      ctx->Global()->Get(ctx, Str(isolate_, "WebAssembly")).ToLocalChecked().As<v8::Object>();
  instance_ctor_.Reset(isolate_, wasm_ns->Get(ctx, Str(isolate_, "Instance"))
                                     .ToLocalChecked()
                                     .As<v8::Function>());
  memory_ctor_.Reset(isolate_, wasm_ns->Get(ctx, Str(isolate_, "Memory"))
                                   .ToLocalChecked()
                                   .As<v8::Function>());
  v8::Isolate* isolate = isolate_;
  slot_ = Watchdog::Get().Register([isolate] { isolate->TerminateExecution(); });
}

V8Worker::~V8Worker() {
  Watchdog::Get().Unregister(slot_);
  instance_ctor_.Reset();
  memory_ctor_.Reset();
  context_.Reset();
  isolate_->Dispose();
}

std::size_t V8Worker::NearHeapLimit(void* data, std::size_t current, std::size_t) {
  // Running out of JS heap is fatal to the process; stop the guest instead and lend V8 enough
  // room to unwind.
  auto* self = static_cast<V8Worker*>(data);
  self->heap_exhausted_ = true;
  self->isolate_->TerminateExecution();
  return current + 32 * 1024 * 1024;
}

template <typename Invoke>
Result<v8::Local<v8::Value>> V8Worker::Guarded(const CallOptions& options, V8Instance* instance,
                                               std::optional<Error>* host_error,
                                               Invoke&& invoke) {
  v8::TryCatch try_catch(isolate_);
  if (call_depth_ > 0) {
    // A host function calling back into the guest: the outer call's deadline keeps running (a
    // nested Arm/Disarm would cancel it), and a termination must unwind the outer call too, so
    // it is not cancelled here.
    ++call_depth_;
    v8::MaybeLocal<v8::Value> result = invoke();
    --call_depth_;
    if (try_catch.HasTerminated() || isolate_->IsExecutionTerminating()) {
      return Fail(ErrorKind::kTimeout, "guest code interrupted, execution deadline exceeded");
    }
    if (host_error && *host_error) {
      Error e = std::move(**host_error);
      host_error->reset();
      return std::unexpected(std::move(e));
    }
    v8::Local<v8::Value> value;
    if (!result.ToLocal(&value) || try_catch.HasCaught()) {
      return std::unexpected(Classify(try_catch, instance));
    }
    return value;
  }
  if (options.deadline) Watchdog::Get().Arm(slot_, *options.deadline);
  ++call_depth_;
  v8::MaybeLocal<v8::Value> result = invoke();
  --call_depth_;
  bool fired = options.deadline && Watchdog::Get().Disarm(slot_);
  if (++calls_since_pump_ >= kPumpEvery) {
    calls_since_pump_ = 0;
    while (v8::platform::PumpMessageLoop(g_platform, isolate_)) {
    }
  }
  bool terminated = try_catch.HasTerminated() || isolate_->IsExecutionTerminating();
  if (fired || terminated || heap_exhausted_) {
    // A termination requested after the guest returned must not leak into the next call.
    isolate_->CancelTerminateExecution();
  }
  if (host_error && *host_error && !terminated) {
    Error e = std::move(**host_error);
    host_error->reset();
    return std::unexpected(std::move(e));
  }
  if (heap_exhausted_) {
    heap_exhausted_ = false;
    return Fail(ErrorKind::kOutOfMemory,
                "the guest exhausted its worker's JavaScript heap (" +
                    std::to_string(kWorkerHeapBytes >> 20) +
                    " MiB), where the host keeps its tables, exports and imports");
  }
  if (terminated) {
    return Fail(ErrorKind::kTimeout, "guest code interrupted, execution deadline exceeded");
  }
  // Some V8 paths hand back a value with an exception pending (`new WebAssembly.Instance` whose
  // start function traps returns the instance): a caught exception is a failure either way.
  v8::Local<v8::Value> value;
  if (!result.ToLocal(&value) || try_catch.HasCaught()) {
    return std::unexpected(Classify(try_catch, instance));
  }
  return value;
}

Error V8Worker::Classify(v8::TryCatch& try_catch, V8Instance* instance) {
  if (!try_catch.HasCaught()) return Error(ErrorKind::kTrap, "guest call failed");
  v8::Local<v8::Value> exception = try_catch.Exception();
  std::string text = ToStdString(isolate_, exception);
  std::string ctor;
  if (exception->IsObject()) {
    ctor = ToStdString(isolate_, exception.As<v8::Object>()->GetConstructorName());
  }
  // A RangeError raised in the guest's code is V8's stack guard: executing wasm raises no other
  // (traps are RuntimeErrors, memory.grow and table.grow return -1). The JavaScript API's own
  // RangeErrors (`new WebAssembly.Instance` that cannot allocate the memory, ...) are raised
  // outside guest code, so V8's message locates them in no wasm function. Where the error was
  // raised decides, not its text, which V8 words as it likes.
  v8::Local<v8::Message> message = try_catch.Message();
  const bool raised_in_guest =
      !message.IsEmpty() &&
      message->GetWasmFunctionIndex() != v8::Message::kNoWasmFunctionIndexInfo;
  if (ctor == "RangeError" && raised_in_guest) {
    return Error(ErrorKind::kStackOverflow, "guest stack overflow: " + text);
  }
  if (ctor == "CompileError" || ctor == "LinkError") {
    return Error(ErrorKind::kBadModule, text);
  }
  // Allocators abort when memory.grow fails, so a trap near the cap is the guest running out.
  // "Near": a grow fails as soon as the request does not fit, which can leave a few MiB unused.
  if (instance != nullptr) {
    std::uint64_t cap = std::uint64_t{instance->module().max_memory_pages()} * kWasmPageSize;
    std::uint64_t slack = std::max<std::uint64_t>(cap / 16, 64 * kWasmPageSize);
    if (instance->Size() + slack >= cap) {
      return Error(ErrorKind::kOutOfMemory,
                   "guest ran out of memory (limit " + std::to_string(cap / (1024 * 1024)) +
                       " MiB): " + text);
    }
  }
  return Error(ErrorKind::kTrap, "guest trapped: " + text);
}

Result<InstancePtr> V8Worker::Instantiate(const ModuleSharedPtr& module, const Linker& linker,
                                          const CallOptions& options) {
  const auto* v8_module = dynamic_cast<const V8Module*>(module.get());
  if (v8_module == nullptr) return Fail(ErrorKind::kInternal, "module from another engine");

  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> ctx = context();
  v8::Context::Scope context_scope(ctx);

  auto instance = std::make_unique<V8Instance>(this, module);
  v8::Local<v8::Object> imports = v8::Object::New(isolate_);
  auto import_namespace = [&](const std::string& name) {
    v8::Local<v8::String> module_key = Str(isolate_, name);
    v8::Local<v8::Value> ns = imports->Get(ctx, module_key).ToLocalChecked();
    if (!ns->IsObject()) {
      ns = v8::Object::New(isolate_);
      SetMember(ctx, imports, module_key, ns);
    }
    return ns.As<v8::Object>();
  };
  v8::Local<v8::Object> imported_memory;
  for (const auto& imp : v8_module->info().imports) {
    if (imp.kind == wasm::ExternKind::kMemory) {
      KW_ASSIGN_OR_RETURN(imported_memory, NewMemory(ctx, imp, v8_module->max_memory_pages(),
                                                     linker.MinImportedMemoryPages()));
      SetMember(ctx, import_namespace(imp.module), Str(isolate_, imp.name), imported_memory);
      continue;
    }
    KW_ASSIGN_OR_RETURN(const HostFunction* fn, ResolveFunctionImport(linker, imp));
    v8::Local<v8::Object> ns = import_namespace(imp.module);
    instance->bindings_.push_back(std::make_unique<Binding>(Binding{fn, instance.get()}));
    v8::Local<v8::Function> f =
        v8::Function::New(ctx, &V8Instance::HostTrampoline,
                          v8::External::New(isolate_, instance->bindings_.back().get()),
                          static_cast<int>(fn->type.params.size()), v8::ConstructorBehavior::kThrow)
            .ToLocalChecked();
    SetMember(ctx, ns, Str(isolate_, imp.name), f);
  }

  v8::Local<v8::WasmModuleObject> module_object;
  if (!v8::WasmModuleObject::FromCompiledModule(isolate_, v8_module->compiled())
           .ToLocal(&module_object)) {
    return Fail(ErrorKind::kBadModule, "cannot instantiate the compiled module in this worker");
  }
  v8::Local<v8::Function> ctor = instance_ctor_.Get(isolate_);
  // The start function runs in here: under the deadline and classified like any call.
  auto instantiated =
      Guarded(options, nullptr, &instance->host_error_, [&]() -> v8::MaybeLocal<v8::Value> {
        v8::Local<v8::Value> argv[2] = {module_object, imports};
        v8::Local<v8::Object> obj;
        if (!ctor->NewInstance(ctx, 2, argv).ToLocal(&obj)) return {};
        return obj;
      });
  if (!instantiated) return std::unexpected(instantiated.error().Wrap("cannot instantiate the module"));
  v8::Local<v8::Value> js_instance = *instantiated;
  // Reading our own freshly made instance cannot run guest code; a failure here means V8 is in
  // a state we do not understand, which is reported, not asserted.
  v8::Local<v8::Value> exports_value;
  if (!js_instance->IsObject() ||
      !js_instance.As<v8::Object>()->Get(ctx, Str(isolate_, "exports")).ToLocal(&exports_value) ||
      !exports_value->IsObject()) {
    return Fail(ErrorKind::kInternal, "the instantiated module has no exports object");
  }
  v8::Local<v8::Object> exports = exports_value.As<v8::Object>();
  instance->exports_.Reset(isolate_, exports);
  v8::Local<v8::Value> memory;
  if (!exports->Get(ctx, Str(isolate_, "memory")).ToLocal(&memory)) {
    return Fail(ErrorKind::kInternal, "cannot read the instance's memory export");
  }
  if (memory->IsWasmMemoryObject()) {
    instance->memory_.Reset(isolate_, memory.As<v8::WasmMemoryObject>());
  } else if (!imported_memory.IsEmpty() && imported_memory->IsWasmMemoryObject()) {
    instance->memory_.Reset(isolate_, imported_memory.As<v8::WasmMemoryObject>());
  }
  return InstancePtr(std::move(instance));
}

Result<v8::Local<v8::Object>> V8Worker::NewMemory(v8::Local<v8::Context> ctx,
                                                  const wasm::Import& import,
                                                  std::uint32_t cap_pages,
                                                  std::uint32_t min_pages) {
  // Compile capped the import's declared maximum already; the memory's own maximum is what
  // actually stops memory.grow, so it carries the cap too.
  std::uint32_t maximum = std::min(import.memory_max_pages.value_or(cap_pages), cap_pages);
  if (import.memory_min_pages > maximum) {
    return Fail(ErrorKind::kOutOfMemory,
                "the module's initial memory of " + std::to_string(import.memory_min_pages) +
                    " pages is larger than the memory limit of " + std::to_string(maximum) +
                    " pages");
  }
  std::uint32_t initial = std::min(std::max(import.memory_min_pages, min_pages), maximum);
  v8::Local<v8::Object> descriptor = v8::Object::New(isolate_);
  SetMember(ctx, descriptor, Str(isolate_, "initial"), v8::Integer::NewFromUnsigned(isolate_, initial));
  SetMember(ctx, descriptor, Str(isolate_, "maximum"), v8::Integer::NewFromUnsigned(isolate_, maximum));
  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Value> argv[1] = {descriptor};
  v8::Local<v8::Object> memory;
  if (!memory_ctor_.Get(isolate_)->NewInstance(ctx, 1, argv).ToLocal(&memory)) {
    std::string why = try_catch.HasCaught() ? ToStdString(isolate_, try_catch.Exception())
                                            : std::string("unknown failure");
    return Fail(ErrorKind::kOutOfMemory, "cannot create the memory `" + import.module + "::" +
                                             import.name + "` the module imports: " + why);
  }
  return memory;
}

// ---------------------------------------------------------------------------------------------
// V8Instance

namespace {

// A dropped instance's memory stays resident until V8's garbage collector frees the backing
// store, which on a worker whose JS heap hardly grows can take hundreds of requests: every
// instance a hostile policy grew to the memory cap (a memory bomb, then a trap) would keep that
// much RSS per worker meanwhile. Memories at least this big hand their pages back to the system
// when the instance is destroyed; small ones are not worth the system call.
constexpr std::uint64_t kReturnPagesAbove = 16 << 20;

// Frees the physical pages of [data, data + size) now. Only for memory nobody reads again: the
// range stays mapped and would read as zeros (as a fresh wasm memory does).
void ReturnPages(void* data, std::uint64_t size) {
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto start = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t begin = (start + page - 1) / page * page;
  const std::uintptr_t end = (start + size) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace

V8Instance::~V8Instance() {
  v8::Isolate* isolate = worker_->isolate();
  v8::Isolate::Scope isolate_scope(isolate);
  if (!memory_.IsEmpty()) {
    v8::HandleScope handles(isolate);
    v8::Local<v8::ArrayBuffer> buffer = memory_.Get(isolate)->Buffer();
    if (buffer->ByteLength() >= kReturnPagesAbove) ReturnPages(buffer->Data(), buffer->ByteLength());
  }
  functions_.clear();
  memory_.Reset();
  exports_.Reset();
}

void V8Instance::HostTrampoline(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* binding = static_cast<Binding*>(info.Data().As<v8::External>()->Value());
  V8Instance* self = binding->instance;
  v8::Isolate* isolate = info.GetIsolate();
  if (self->host_error_) {
    // A guest that caught our previous exception gets nothing more from the host.
    isolate->ThrowException(v8::Exception::Error(Str(isolate, self->host_error_->message)));
    return;
  }
  const FuncType& type = binding->fn->type;
  v8::Local<v8::Context> ctx = isolate->GetCurrentContext();
  std::array<Value, 12> small;
  std::vector<Value> large;
  std::span<Value> args;
  if (type.params.size() <= small.size()) {
    args = std::span<Value>(small.data(), type.params.size());
  } else {
    large.resize(type.params.size());
    args = large;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    args[i] = FromV8(ctx, info[static_cast<int>(i)], type.params[i]);
  }
  HostResult result = binding->fn->callback(*self, args);
  if (!result) {
    self->host_error_ = std::move(result).error();
    isolate->ThrowException(v8::Exception::Error(Str(isolate, self->host_error_->message)));
    return;
  }
  if (*result) info.GetReturnValue().Set(ToV8(isolate, **result));
}

const V8Instance::ExportedFunction* V8Instance::FindFunction(std::string_view name) {
  auto it = functions_.find(std::string(name));
  if (it != functions_.end()) return &it->second;
  v8::Isolate* isolate = worker_->isolate();
  v8::Local<v8::Context> ctx = worker_->context();
  v8::Local<v8::Value> value;
  if (!exports_.Get(isolate)->Get(ctx, Str(isolate, name)).ToLocal(&value) || !value->IsFunction()) {
    return nullptr;
  }
  ExportedFunction entry;
  entry.fn.Reset(isolate, value.As<v8::Function>());
  if (const wasm::Export* e = module_->info().FindExport(name)) entry.type = e->type;
  return &functions_.emplace(std::string(name), std::move(entry)).first->second;
}

std::optional<std::int32_t> V8Instance::GlobalI32(std::string_view name) {
  const wasm::Export* e = module_->info().FindExport(name);
  if (e == nullptr || e->kind != wasm::ExternKind::kGlobal || exports_.IsEmpty()) {
    return std::nullopt;
  }
  v8::Isolate* isolate = worker_->isolate();
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> ctx = worker_->context();
  v8::Context::Scope context_scope(ctx);
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> global;
  if (!exports_.Get(isolate)->Get(ctx, Str(isolate, name)).ToLocal(&global) || !global->IsObject()) {
    return std::nullopt;
  }
  // WebAssembly.Global.prototype.value: an i32 reads as a Number, an i64 as a BigInt.
  v8::Local<v8::Value> value;
  if (!global.As<v8::Object>()->Get(ctx, Str(isolate, "value")).ToLocal(&value) ||
      !value->IsInt32()) {
    return std::nullopt;
  }
  return value.As<v8::Int32>()->Value();
}

bool V8Instance::HasFunction(std::string_view name) const {
  const wasm::Export* e = module_->info().FindExport(name);
  return e != nullptr && e->kind == wasm::ExternKind::kFunction;
}

Result<std::vector<Value>> V8Instance::Call(std::string_view name, std::span<const Value> args,
                                            const CallOptions& options) {
  v8::Isolate* isolate = worker_->isolate();
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> ctx = worker_->context();
  v8::Context::Scope context_scope(ctx);

  const bool nested = worker_->in_guest_call();
  if (exports_.IsEmpty()) {
    // Only while instantiating: a start function's host call cannot reach the exports yet.
    return Fail(ErrorKind::kNotFound, "the instance has no exports yet (it is being instantiated)");
  }
  if (!HasFunction(name)) {
    return Fail(ErrorKind::kNotFound, "the module does not export a function named `" +
                                          std::string(name) + "`");
  }
  const ExportedFunction* fn = FindFunction(name);
  if (fn == nullptr) {
    return Fail(ErrorKind::kNotFound, "the module does not export a function named `" +
                                          std::string(name) + "`");
  }
  std::array<v8::Local<v8::Value>, 8> argv;
  if (args.size() > argv.size()) return Fail(ErrorKind::kInvalidArgument, "too many arguments");
  for (std::size_t i = 0; i < args.size(); ++i) argv[i] = ToV8(isolate, args[i]);

  if (!nested) host_error_.reset();
  v8::Local<v8::Function> f = fn->fn.Get(isolate);
  KW_ASSIGN_OR_RETURN(v8::Local<v8::Value> result,
                      worker_->Guarded(options, this, &host_error_, [&] {
                        return f->Call(ctx, v8::Undefined(isolate), static_cast<int>(args.size()),
                                       argv.data());
                      }));
  std::vector<Value> out;
  const std::vector<ValType>* result_types = fn->type ? &fn->type->results : nullptr;
  if (result_types && result_types->empty()) return out;
  if (result_types && result_types->size() > 1 && result->IsArray()) {
    auto array = result.As<v8::Array>();
    for (uint32_t i = 0; i < array->Length(); ++i) {
      out.push_back(FromV8(ctx, array->Get(ctx, i).ToLocalChecked(),
                           i < result_types->size() ? std::optional((*result_types)[i]) : std::nullopt));
    }
    return out;
  }
  if (!result->IsUndefined()) {
    out.push_back(FromV8(ctx, result, result_types ? std::optional((*result_types)[0]) : std::nullopt));
  }
  return out;
}

std::optional<std::span<std::uint8_t>> V8Instance::Span(std::uint32_t ptr, std::uint32_t len) {
  if (memory_.IsEmpty()) return std::nullopt;
  v8::Isolate* isolate = worker_->isolate();
  v8::HandleScope handles(isolate);
  // Re-read on every access: memory.grow replaces the buffer.
  v8::Local<v8::ArrayBuffer> buffer = memory_.Get(isolate)->Buffer();
  auto* base = static_cast<std::uint8_t*>(buffer->Data());
  std::uint64_t size = buffer->ByteLength();
  if (std::uint64_t{ptr} + len > size) return std::nullopt;
  return std::span<std::uint8_t>(base + ptr, len);
}

std::uint64_t V8Instance::Size() {
  if (memory_.IsEmpty()) return 0;
  v8::Isolate* isolate = worker_->isolate();
  v8::HandleScope handles(isolate);
  return memory_.Get(isolate)->Buffer()->ByteLength();
}

// ---------------------------------------------------------------------------------------------
// V8Engine

class V8Engine final : public Engine {
 public:
  explicit V8Engine(const EngineOptions& options) : options_(options) {
    allocator_.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = allocator_.get();
    compile_isolate_ = v8::Isolate::New(params);
    v8::Locker locker(compile_isolate_);
    v8::Isolate::Scope isolate_scope(compile_isolate_);
    v8::HandleScope handles(compile_isolate_);
    // Before the context exists: V8 installs WebAssembly.compileStreaming only in contexts
    // created while a streaming callback is set.
    compile_isolate_->SetData(0, this);
    compile_isolate_->SetWasmStreamingCallback(&V8Engine::OnStreamingStarted);
    v8::Local<v8::Context> ctx = v8::Context::New(compile_isolate_);
    compile_context_.Reset(compile_isolate_, ctx);
    v8::Local<v8::Object> wasm_ns =
        ctx->Global()->Get(ctx, Str(compile_isolate_, "WebAssembly")).ToLocalChecked().As<v8::Object>();
    compile_streaming_.Reset(compile_isolate_, wasm_ns->Get(ctx, Str(compile_isolate_, "compileStreaming"))
                                                   .ToLocalChecked()
                                                   .As<v8::Function>());
  }

  ~V8Engine() override {
    pending_writes_->Close();
    {
      v8::Locker locker(compile_isolate_);
      compile_streaming_.Reset();
      compile_context_.Reset();
    }
    compile_isolate_->Dispose();
  }

  Result<ModuleSharedPtr> Compile(std::span<const std::uint8_t> bytes,
                                  const CompileOptions& compile_options) const override {
    std::uint32_t max_pages = compile_options.max_memory_pages.value_or(options_.max_memory_pages);
    if (max_pages == 0 || max_pages > 65536) {
      return Fail(ErrorKind::kInvalidArgument, "memory limit must be between 1 and 65536 pages");
    }
    if (!wasm::HasWasmMagic(bytes)) {
      return Fail(ErrorKind::kBadModule,
                  "not a WebAssembly module: the file does not start with the wasm magic number");
    }
    KW_ASSIGN_OR_RETURN(std::vector<std::uint8_t> capped,
                        wasm::CapMemory(bytes, max_pages));
    KW_ASSIGN_OR_RETURN(wasm::ModuleInfo info, wasm::Inspect(capped));
    KW_TRY(wasm::CheckDeclaredSizes(info));
    info.custom_sections.clear();  // they borrow `capped`, which does not outlive this call

    std::shared_ptr<CodeWriter> writer;
    std::optional<std::vector<std::uint8_t>> cached;
    if (const CodeCacheSharedPtr& cache = compile_options.code_cache) {
      std::string key = CodeCacheKey(capped, max_pages);
      std::call_once(close_at_exit_, [this] { PendingCodeWrites::CloseAtExit(pending_writes_); });
      cached = cache->Get(key);
      writer = std::make_shared<CodeWriter>(cache, std::move(key), pending_writes_);
    }

    std::lock_guard lock(compile_mu_);
    v8::Locker locker(compile_isolate_);
    v8::Isolate::Scope isolate_scope(compile_isolate_);
    v8::HandleScope handles(compile_isolate_);
    v8::Local<v8::Context> ctx = compile_context_.Get(compile_isolate_);
    v8::Context::Scope context_scope(ctx);
    v8::TryCatch try_catch(compile_isolate_);
    v8::Local<v8::WasmModuleObject> module;
    bool from_cache = false;
    if (cached) {
      KW_ASSIGN_OR_RETURN(std::optional<v8::Local<v8::WasmModuleObject>> loaded,
                          LoadCachedCode(ctx, capped, *cached, writer, &from_cache));
      if (loaded) module = *loaded;
    }
    if (module.IsEmpty()) {
      if (!v8::WasmModuleObject::Compile(compile_isolate_,
                                         v8::MemorySpan<const uint8_t>(capped.data(), capped.size()))
               .ToLocal(&module)) {
        std::string why = try_catch.HasCaught() ? ToStdString(compile_isolate_, try_catch.Exception())
                                                : std::string("compilation failed");
        return Fail(ErrorKind::kBadModule, "invalid WebAssembly module: " + why);
      }
      if (writer && !AttachCodeWriter(ctx, capped, writer)) writer.reset();
    }
    // Counted only now: V8 may already have called the writer (the module was optimized long
    // ago), and a module that came from the cache has nothing to store.
    if (writer && !from_cache) writer->Arm();
    auto compiled = module->GetCompiledModule();
    while (v8::platform::PumpMessageLoop(g_platform, compile_isolate_)) {
    }
    return std::make_shared<V8Module>(std::move(info), std::move(compiled), max_pages, from_cache);
  }

  Result<WorkerPtr> CreateWorker() const override {
    return WorkerPtr(std::make_unique<V8Worker>());
  }

  bool WaitForCodeCacheWrites(std::chrono::milliseconds timeout) const override {
    return pending_writes_->Wait(timeout);
  }

  const EngineOptions& options() const override { return options_; }

 private:
  // The code cache goes through V8's streaming compilation API, the one public place where V8
  // 10.2 takes serialized code (WasmStreaming::SetCompiledModuleBytes) and reports when a
  // module's optimized code is ready (WasmStreaming::Client). Actual compilation stays
  // synchronous (WasmModuleObject::Compile): a streaming compilation runs on the platform's
  // worker threads only, queued behind the background optimization of every module compiled
  // before it, and compiling our 27 policies that way took 5 times longer.
  //
  // All of these require compile_mu_, the compile isolate and `ctx` entered, inside a TryCatch.

  // WebAssembly.compileStreaming's hook (Isolate::SetWasmStreamingCallback): hands us the
  // WasmStreaming to feed.
  static void OnStreamingStarted(const v8::FunctionCallbackInfo<v8::Value>& info) {
    auto* self = static_cast<const V8Engine*>(info.GetIsolate()->GetData(0));
    self->stream_ = v8::WasmStreaming::Unpack(info.GetIsolate(), info.Data());
  }

  struct Streaming {
    v8::Local<v8::Promise> promise;  // settles with the WebAssembly.Module
    std::shared_ptr<v8::WasmStreaming> stream;
  };

  Result<Streaming> StartStreaming(v8::Local<v8::Context> ctx) const {
    v8::Isolate* isolate = compile_isolate_;
    // The argument would be a fetch Response in a browser; our hook ignores it. V8 calls the
    // hook from a microtask, which the checkpoint runs now.
    v8::Local<v8::Value> no_response = v8::Undefined(isolate);
    v8::Local<v8::Value> promise;
    if (!compile_streaming_.Get(isolate)->Call(ctx, ctx->Global(), 1, &no_response).ToLocal(&promise) ||
        !promise->IsPromise()) {
      return Fail(ErrorKind::kInternal, "cannot start a streaming WebAssembly compilation");
    }
    isolate->PerformMicrotaskCheckpoint();
    std::shared_ptr<v8::WasmStreaming> stream = std::move(stream_);
    stream_.reset();
    if (!stream) return Fail(ErrorKind::kInternal, "V8 did not start a streaming compilation");
    return Streaming{promise.As<v8::Promise>(), std::move(stream)};
  }

  // Runs the isolate's tasks until `promise` settles, and returns its module.
  Result<v8::Local<v8::WasmModuleObject>> AwaitModule(v8::Local<v8::Promise> promise) const {
    while (promise->State() == v8::Promise::kPending) {
      v8::platform::PumpMessageLoop(g_platform, compile_isolate_,
                                    v8::platform::MessageLoopBehavior::kWaitForWork);
      compile_isolate_->PerformMicrotaskCheckpoint();
    }
    if (promise->State() == v8::Promise::kRejected) {
      // Worded as the synchronous compilation words it, which users see otherwise.
      std::string why = ToStdString(compile_isolate_, promise->Result());
      constexpr std::string_view kStreamingApi = "WebAssembly.compileStreaming()";
      if (auto at = why.find(kStreamingApi); at != std::string::npos) {
        why.replace(at, kStreamingApi.size(), "WebAssembly.Module()");
      }
      return Fail(ErrorKind::kBadModule, "invalid WebAssembly module: " + why);
    }
    v8::Local<v8::Value> module = promise->Result();
    if (!module->IsWasmModuleObject()) {
      return Fail(ErrorKind::kInternal, "WebAssembly compilation produced no module");
    }
    return module.As<v8::WasmModuleObject>();
  }

  // The module built from `cached` code for `wire_bytes`, or nullopt when V8 refuses the code's
  // header (its version, flag hash or CPU features differ), and the caller compiles. When the
  // header passes but the code does not deserialize, V8 compiles the wire bytes itself: the
  // module comes back with `from_cache` false, and `writer` replaces the entry.
  Result<std::optional<v8::Local<v8::WasmModuleObject>>> LoadCachedCode(
      v8::Local<v8::Context> ctx, std::span<const std::uint8_t> wire_bytes,
      std::span<const std::uint8_t> cached, const std::shared_ptr<CodeWriter>& writer,
      bool* from_cache) const {
    KW_ASSIGN_OR_RETURN(Streaming streaming, StartStreaming(ctx));
    streaming.stream->SetClient(writer);
    if (!streaming.stream->SetCompiledModuleBytes(cached.data(), cached.size())) {
      streaming.stream->Abort({});  // no exception: the promise is simply never settled
      return std::nullopt;
    }
    streaming.stream->OnBytesReceived(wire_bytes.data(), wire_bytes.size());
    streaming.stream->Finish();
    // Deserialized code resolves the promise inside Finish; a compilation resolves it later.
    *from_cache = streaming.promise->State() == v8::Promise::kFulfilled;
    return AwaitModule(streaming.promise);
  }

  // Has `writer` told when the module just compiled from `wire_bytes` is optimized. The Client
  // exists only on the streaming path, and V8 shares one compilation among all compilations of
  // identical bytes in the process, so streaming the same bytes again attaches to the module we
  // have (a lookup, under a millisecond for our policies, 3 ms for a 2 MB module) instead of
  // compiling it twice. False when that could not be done: then nothing will be stored.
  bool AttachCodeWriter(v8::Local<v8::Context> ctx, std::span<const std::uint8_t> wire_bytes,
                        const std::shared_ptr<CodeWriter>& writer) const {
    auto streaming = StartStreaming(ctx);
    if (!streaming) return false;
    streaming->stream->SetClient(writer);
    streaming->stream->OnBytesReceived(wire_bytes.data(), wire_bytes.size());
    streaming->stream->Finish();
    return AwaitModule(streaming->promise).has_value();
  }

  EngineOptions options_;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  mutable std::mutex compile_mu_;
  v8::Isolate* compile_isolate_ = nullptr;
  v8::Global<v8::Context> compile_context_;
  v8::Global<v8::Function> compile_streaming_;
  // Set by OnStreamingStarted during a compilation (under compile_mu_).
  mutable std::shared_ptr<v8::WasmStreaming> stream_;
  std::shared_ptr<PendingCodeWrites> pending_writes_ = std::make_shared<PendingCodeWrites>();
  mutable std::once_flag close_at_exit_;
};

}  // namespace

Result<std::unique_ptr<Engine>> CreateV8Engine(const EngineOptions& options) {
  if (options.max_memory_pages == 0 || options.max_memory_pages > 65536) {
    return Fail(ErrorKind::kInvalidArgument, "memory limit must be between 1 and 65536 pages");
  }
  InitializeV8Once();
  return std::unique_ptr<Engine>(std::make_unique<V8Engine>(options));
}

std::string V8Version() { return std::string("V8 ") + v8::V8::GetVersion(); }

}  // namespace kw::engine
