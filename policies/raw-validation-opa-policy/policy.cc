// raw-validation-opa-policy (policies-more.md §23): the port of upstream's Rego test policy,
// kept in the `opa` execution mode: the module implements the OPA Wasm ABI itself
// (policy-server.md §4.e.1) instead of being compiled by `opa build`. Its one entrypoint,
// `policy/main` (id 0), evaluates
//
//   deny contains "User not allowed" unless input.request.user == "tonio"
//   main = {"response": {"uid": input.request.uid or "", "allowed": deny is empty,
//                        "status": {"message": <deny joined ", ">} when denied}}
//
// and the result set is [{"result": main}].
//
// Memory: the host rewinds the heap (opa_heap_ptr_set) between evaluations, so every
// allocation, malloc's included, is a bump of one heap pointer above __heap_base, and free does
// nothing. A value's address is that of its json::Value; its document is never destroyed (the
// rewind reclaims it). No WASI or other import besides the OPA ones: the module is linked
// without a libc start-up, and libc++'s aborts trap (KUBEWARDEN_RUNTIME_OVERRIDES_).
#include <kubewarden/json.h>
#include <kubewarden/wapc.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <string>

namespace kw = kubewarden;

extern "C" {
extern char __heap_base;  // as allocator.h (through wapc.h) declares it

// Logs a NUL-terminated message and aborts the evaluation (the host's error).
__attribute__((import_module("env"), import_name("opa_abort"))) void opa_abort(const char* text);
}

namespace {

std::uintptr_t g_heap = 0;  // the next free byte; 0 until the first allocation

constexpr std::uintptr_t kPage = 65536;

void* Bump(std::size_t size, std::size_t align) {
  if (g_heap == 0) g_heap = reinterpret_cast<std::uintptr_t>(&__heap_base);
  std::uintptr_t at = (g_heap + align - 1) & ~(align - 1);
  if (size > UINTPTR_MAX - at) return nullptr;
  std::uintptr_t end = at + size;
  std::uintptr_t have = __builtin_wasm_memory_size(0) * kPage;
  if (end > have) {
    std::uintptr_t pages = (end - have + kPage - 1) / kPage;
    if (__builtin_wasm_memory_grow(0, pages) == SIZE_MAX) return nullptr;
  }
  g_heap = end;
  return reinterpret_cast<void*>(at);
}

// The evaluation context of opa_eval_ctx_*.
struct EvalContext {
  const kw::json::Value* input = nullptr;
  const kw::json::Value* data = nullptr;
  std::int32_t entrypoint = 0;
  const kw::json::Value* result = nullptr;
};

// Parses `text` (which stays in the heap until the next rewind) into a value that lives as
// long; nullptr if it is not JSON.
const kw::json::Value* ParseValue(std::string_view text) {
  auto* doc = new kw::json::Document();
  return doc->Parse(text);
}

// The entrypoint's result set for `input`.
std::string Evaluate(const kw::json::Value* input) {
  const kw::json::Value* request = input ? input->Find("request") : nullptr;
  const kw::json::Value* user = request ? request->Find("user") : nullptr;
  const kw::json::Value* uid = request ? request->Find("uid") : nullptr;
  bool allowed = user != nullptr && user->AsString() == std::string_view("tonio");

  std::string out = R"([{"result":{"response":{"uid":)";
  if (uid != nullptr) {
    kw::json::AppendJson(out, *uid);
  } else {
    out += R"("")";
  }
  out += allowed ? R"(,"allowed":true)"
                 : R"(,"allowed":false,"status":{"message":"User not allowed"})";
  out += "}}}]";
  return out;
}

}  // namespace

// --- The allocator behind malloc and operator new. ---
extern "C" {
void* malloc(std::size_t n) { return Bump(n == 0 ? 1 : n, 16); }
void free(void*) {}
void* calloc(std::size_t count, std::size_t n) {
  if (n != 0 && count > SIZE_MAX / n) return nullptr;
  void* p = malloc(count * n);
  if (p != nullptr) std::memset(p, 0, count * n);
  return p;
}
void* aligned_alloc(std::size_t align, std::size_t n) { return Bump(n == 0 ? 1 : n, align); }
int posix_memalign(void** out, std::size_t align, std::size_t n) {
  *out = aligned_alloc(align < 16 ? 16 : align, n);
  return *out ? 0 : 12;  // ENOMEM
}
// Bump blocks do not know their size: a reallocation copies what the new size can hold, up to
// the new block, which lies above the old one.
void* realloc(void* p, std::size_t n) {
  void* q = malloc(n);
  if (p != nullptr && q != nullptr) {
    std::size_t available =
        reinterpret_cast<std::uintptr_t>(q) - reinterpret_cast<std::uintptr_t>(p);
    std::memcpy(q, p, n < available ? n : available);
  }
  return q;
}
}
KUBEWARDEN_RUNTIME_OVERRIDES_()

// --- The OPA Wasm ABI exports. ---
#define KW_OPA_EXPORT(name) extern "C" __attribute__((export_name(name)))

KW_OPA_EXPORT("opa_malloc") void* OpaMalloc(std::size_t size) {
  void* p = malloc(size);
  if (p == nullptr) opa_abort("opa_malloc: out of memory");
  return p;
}
KW_OPA_EXPORT("opa_free") void OpaFree(void*) {}
KW_OPA_EXPORT("opa_heap_ptr_get") std::uintptr_t OpaHeapPtrGet() {
  if (g_heap == 0) g_heap = reinterpret_cast<std::uintptr_t>(&__heap_base);
  return g_heap;
}
KW_OPA_EXPORT("opa_heap_ptr_set") void OpaHeapPtrSet(std::uintptr_t heap) { g_heap = heap; }

KW_OPA_EXPORT("opa_json_parse") const kw::json::Value* OpaJsonParse(const char* text,
                                                                    std::size_t size) {
  return ParseValue(std::string_view(text, size));
}
KW_OPA_EXPORT("opa_value_parse") const kw::json::Value* OpaValueParse(const char* text,
                                                                      std::size_t size) {
  return ParseValue(std::string_view(text, size));
}
KW_OPA_EXPORT("opa_json_dump") char* OpaJsonDump(const kw::json::Value* value) {
  std::string text = value ? kw::json::Serialize(*value) : std::string("null");
  char* out = static_cast<char*>(OpaMalloc(text.size() + 1));
  std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}
KW_OPA_EXPORT("opa_value_dump") char* OpaValueDump(const kw::json::Value* value) {
  return OpaJsonDump(value);
}

// No builtin is called; the entrypoints map names the one rule.
KW_OPA_EXPORT("builtins") const kw::json::Value* Builtins() { return ParseValue("{}"); }
KW_OPA_EXPORT("entrypoints") const kw::json::Value* Entrypoints() {
  return ParseValue(R"({"policy/main":0})");
}

KW_OPA_EXPORT("opa_eval_ctx_new") EvalContext* OpaEvalCtxNew() { return new EvalContext(); }
KW_OPA_EXPORT("opa_eval_ctx_set_input") void OpaEvalCtxSetInput(EvalContext* ctx,
                                                                const kw::json::Value* v) {
  ctx->input = v;
}
KW_OPA_EXPORT("opa_eval_ctx_set_data") void OpaEvalCtxSetData(EvalContext* ctx,
                                                              const kw::json::Value* v) {
  ctx->data = v;
}
KW_OPA_EXPORT("opa_eval_ctx_set_entrypoint") void OpaEvalCtxSetEntrypoint(EvalContext* ctx,
                                                                          std::int32_t id) {
  ctx->entrypoint = id;
}
KW_OPA_EXPORT("opa_eval_ctx_get_result") const kw::json::Value* OpaEvalCtxGetResult(
    EvalContext* ctx) {
  return ctx->result;
}
// Returns 0 on success, as OPA's eval does.
KW_OPA_EXPORT("eval") std::int32_t Eval(EvalContext* ctx) {
  if (ctx->entrypoint != 0) {
    opa_abort("unknown entrypoint");
    return 1;
  }
  // The text must outlive its document: keep it in the heap too.
  std::string text = Evaluate(ctx->input);
  char* copy = static_cast<char*>(OpaMalloc(text.size()));
  std::memcpy(copy, text.data(), text.size());
  ctx->result = ParseValue(std::string_view(copy, text.size()));
  return 0;
}
