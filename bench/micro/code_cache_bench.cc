// The compiled-code cache: what compiling a module costs against loading the code an earlier
// process stored, by module size.
//
//   code_cache_bench [--runs N] [module.wasm ...]
//       Without modules: the built policies, plus synthetic 0.5 MB and 2 MB modules standing in
//       for upstream's TinyGo and Rust policies (0.4-2 MB).
//   code_cache_bench pad <in.wasm> <out.wasm> <bytes> <seed>
//       Writes <in.wasm> grown to about <bytes> with extra functions (a policy of upstream's
//       size that still works as a policy); bench/startup.sh uses it.
//
// Every measurement runs in a fresh process (this binary, re-executed), because V8 shares one
// compilation among identical bytes within a process; and every run compiles unique bytes (a
// nonce custom section), so that nothing is shared between runs either. What a process pays
// once (V8's first compilation) is paid on a small warm-up module first. Columns:
//   compile   Engine::Compile without a cache (what start-up waited for before the cache)
//   stored    from the start of Compile with a cache until its entry was written: V8 optimizes
//             in the background after Compile returns, and only optimized code is stored
//   load      Engine::Compile served from the cache, in a new process
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "base/files.h"
#include "engine/v8/v8_engine.h"
#include "loader/code_cache.h"
#include "wasm/wasm_binary.h"

namespace kw {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "code_cache_bench: %s\n", message.c_str());
  std::exit(1);
}

// --- building modules ------------------------------------------------------------------------

void Leb(std::vector<std::uint8_t>& out, std::uint64_t value) {
  do {
    std::uint8_t byte = value & 0x7f;
    value >>= 7;
    out.push_back(value != 0 ? (byte | 0x80) : byte);
  } while (value != 0);
}

void SignedLeb(std::vector<std::uint8_t>& out, std::int64_t value) {
  for (;;) {
    std::uint8_t byte = value & 0x7f;
    value >>= 7;  // arithmetic: keeps the sign
    bool done = (value == 0 && (byte & 0x40) == 0) || (value == -1 && (byte & 0x40) != 0);
    out.push_back(done ? byte : (byte | 0x80));
    if (done) return;
  }
}

std::uint64_t ReadLeb(std::span<const std::uint8_t> in, std::size_t& at) {
  std::uint64_t value = 0;
  for (int shift = 0; at < in.size() && shift < 64; shift += 7) {
    std::uint8_t byte = in[at++];
    value |= std::uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) return value;
  }
  Die("malformed LEB128 in the input module");
}

// A body of `(func (param i32) (result i32))` (locals: i32 $t, i64 $u) that mixes arithmetic,
// branches and memory stores, so that both compilers have real work; ~520 bytes.
std::vector<std::uint8_t> FunctionBody(std::mt19937& random) {
  std::vector<std::uint8_t> code = {0x02, 0x01, 0x7f, 0x01, 0x7e};  // locals
  for (int block = 0; block < 12; ++block) {
    auto constant = [&] { SignedLeb(code, static_cast<std::int32_t>(random() >> 1)); };
    // $t = $t * C + $p
    code.insert(code.end(), {0x20, 0x01, 0x41});
    constant();
    code.insert(code.end(), {0x6c, 0x20, 0x00, 0x6a, 0x21, 0x01});
    // if ($t > C) $u += extend($t)
    code.insert(code.end(), {0x20, 0x01, 0x41});
    constant();
    code.insert(code.end(), {0x4b, 0x04, 0x40, 0x20, 0x02, 0x20, 0x01, 0xad, 0x7c, 0x21, 0x02, 0x0b});
    // mem[$t & 4092] = $t ^ C
    code.insert(code.end(), {0x20, 0x01, 0x41, 0xfc, 0x1f, 0x71, 0x20, 0x01, 0x41});
    constant();
    code.insert(code.end(), {0x73, 0x36, 0x02, 0x00});
  }
  code.insert(code.end(), {0x20, 0x01, 0x20, 0x02, 0xa7, 0x6a, 0x0b});  // $t + wrap($u)
  std::vector<std::uint8_t> body;
  Leb(body, code.size());
  body.insert(body.end(), code.begin(), code.end());
  return body;
}

void Section(std::vector<std::uint8_t>& out, std::uint8_t id, const std::vector<std::uint8_t>& payload) {
  out.push_back(id);
  Leb(out, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
}

// `(module (memory 1) (func ...) x n)` of about `size` bytes.
std::vector<std::uint8_t> SyntheticModule(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::vector<std::vector<std::uint8_t>> bodies;
  std::size_t total = 0;
  while (total < size) {
    bodies.push_back(FunctionBody(random));
    total += bodies.back().size() + 1;
  }
  std::vector<std::uint8_t> out = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  Section(out, 1, {0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f});  // type 0: (i32) -> i32
  std::vector<std::uint8_t> functions;
  Leb(functions, bodies.size());
  functions.insert(functions.end(), bodies.size(), 0x00);
  Section(out, 3, functions);
  Section(out, 5, {0x01, 0x00, 0x01});  // memory: min 1 page
  std::vector<std::uint8_t> code;
  Leb(code, bodies.size());
  for (const auto& body : bodies) code.insert(code.end(), body.begin(), body.end());
  Section(out, 10, code);
  return out;
}

// `module` with about `size` bytes of extra functions that nothing calls: the type, function
// and code sections get entries appended, so no existing index moves.
std::vector<std::uint8_t> Pad(std::span<const std::uint8_t> module, std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::vector<std::vector<std::uint8_t>> bodies;
  std::size_t total = module.size();
  while (total < size) {
    bodies.push_back(FunctionBody(random));
    total += bodies.back().size() + 1;
  }
  std::vector<std::uint8_t> out(module.begin(), module.begin() + 8);
  std::uint64_t new_type = 0;
  std::size_t at = 8;
  while (at < module.size()) {
    std::uint8_t id = module[at++];
    std::uint64_t length = ReadLeb(module, at);
    if (at + length > module.size()) Die("truncated section in the input module");
    std::span<const std::uint8_t> payload = module.subspan(at, length);
    at += length;
    if (id != 1 && id != 3 && id != 10) {
      Section(out, id, {payload.begin(), payload.end()});
      continue;
    }
    std::size_t p = 0;
    std::uint64_t count = ReadLeb(payload, p);
    std::vector<std::uint8_t> grown;
    if (id == 1) {
      new_type = count;
      Leb(grown, count + 1);
      grown.insert(grown.end(), payload.begin() + p, payload.end());
      grown.insert(grown.end(), {0x60, 0x01, 0x7f, 0x01, 0x7f});
    } else {
      Leb(grown, count + bodies.size());
      grown.insert(grown.end(), payload.begin() + p, payload.end());
      for (const auto& body : bodies) {
        if (id == 3) {
          Leb(grown, new_type);
        } else {
          grown.insert(grown.end(), body.begin(), body.end());
        }
      }
    }
    Section(out, id, grown);
  }
  return out;
}

// --- measuring, one process per measurement ----------------------------------------------------

// Runs in the child: prints "<ms> [<ms>]".
int Child(const std::string& mode, const std::string& module_path, const std::string& cache_dir) {
  auto bytes = ReadBinaryFile(module_path);
  if (!bytes) Die(bytes.error().message);
  auto engine = engine::CreateV8Engine();
  if (!engine) Die(engine.error().message);
  engine::CompileOptions options;
  engine::CompileOptions warm_up_options;
  if (mode != "plain") {
    auto cache = loader::CodeCacheDirectory::Open(cache_dir);
    auto warm_up_cache = loader::CodeCacheDirectory::Open(cache_dir + "-warm-up");
    if (!cache || !warm_up_cache) Die("cannot open the cache directories");
    options.code_cache = *cache;
    warm_up_options.code_cache = *warm_up_cache;
  }
  // What every process pays once, whatever it compiles (V8's first wasm compilation, the first
  // streaming compilation), is paid here on a small module of its own, not measured.
  std::string nonce = std::to_string(::getpid());
  auto warm_up = wasm::AppendCustomSection(
      SyntheticModule(4096, 3), "kw-bench-nonce",
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(nonce.data()), nonce.size()));
  if (!(*engine)->Compile(warm_up, warm_up_options)) Die("cannot compile the warm-up module");
  auto start = Clock::now();
  auto module = (*engine)->Compile(*bytes, options);
  double compile_ms = MillisecondsSince(start);
  if (!module) Die(module.error().message);
  if (mode == "store") {
    if (!(*engine)->WaitForCodeCacheWrites(std::chrono::minutes(5))) Die("code never stored");
    std::printf("%.3f %.3f\n", compile_ms, MillisecondsSince(start));
  } else {
    if (mode == "load" && !(*module)->from_code_cache()) Die("not loaded from the cache");
    std::printf("%.3f\n", compile_ms);
  }
  return 0;
}

std::vector<double> RunChild(const std::string& mode, const std::string& module_path,
                             const std::string& cache_dir) {
  std::string command = "/proc/" + std::to_string(::getpid()) + "/exe --child " + mode + " '" +
                        module_path + "' '" + cache_dir + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) Die("cannot run " + command);
  std::vector<double> values;
  double value = 0;
  while (std::fscanf(pipe, "%lf", &value) == 1) values.push_back(value);
  if (::pclose(pipe) != 0 || values.empty()) Die(command + " failed");
  return values;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

std::string Size(std::uintmax_t bytes) {
  char text[32];
  if (bytes >= 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.1f MB", bytes / (1024.0 * 1024.0));
  } else {
    std::snprintf(text, sizeof text, "%.0f KB", bytes / 1024.0);
  }
  return text;
}

void Measure(const std::string& name, const std::vector<std::uint8_t>& module, int runs,
             const std::string& work) {
  std::vector<double> compile, stored, load;
  std::uintmax_t entry_size = 0;
  std::random_device seed;
  for (int run = 0; run < runs; ++run) {
    std::string nonce = std::to_string(seed()) + "-" + std::to_string(seed());
    std::vector<std::uint8_t> unique = wasm::AppendCustomSection(
        module, "kw-bench-nonce", std::span<const std::uint8_t>(
                                      reinterpret_cast<const std::uint8_t*>(nonce.data()), nonce.size()));
    std::string path = work + "/module.wasm";
    std::string cache = work + "/cache-" + nonce;
    if (!WriteFile(path, std::string_view(reinterpret_cast<const char*>(unique.data()), unique.size()))) {
      Die("cannot write " + path);
    }
    compile.push_back(RunChild("plain", path, cache)[0]);
    std::vector<double> store = RunChild("store", path, cache);
    stored.push_back(store.at(1));
    load.push_back(RunChild("load", path, cache)[0]);
    for (const auto& e : fs::directory_iterator(cache)) entry_size = fs::file_size(e.path());
    fs::remove_all(cache);
    fs::remove_all(cache + "-warm-up");
  }
  double compile_ms = Median(compile), load_ms = Median(load);
  std::printf("%-42s %8s %10.2f %10.1f %9s %10.2f %8.1fx\n", name.c_str(),
              Size(module.size()).c_str(), compile_ms, Median(stored), Size(entry_size).c_str(),
              load_ms, compile_ms / load_ms);
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 4 && args[0] == "--child") return Child(args[1], args[2], args[3]);
  if (args.size() == 5 && args[0] == "pad") {
    auto in = ReadBinaryFile(args[1]);
    if (!in) Die(in.error().message);
    std::vector<std::uint8_t> out = Pad(*in, std::stoull(args[3]), std::stoul(args[4]));
    if (!WriteFile(args[2], std::string_view(reinterpret_cast<const char*>(out.data()), out.size()))) {
      Die("cannot write " + args[2]);
    }
    return 0;
  }
  int runs = 5;
  std::vector<std::string> modules;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--runs" && i + 1 < args.size()) {
      runs = std::max(1, std::stoi(args[++i]));
    } else {
      modules.push_back(args[i]);
    }
  }
  bool defaults = modules.empty();
  if (defaults) {
    for (const auto& e : fs::directory_iterator(KW_BENCH_POLICIES_DIR)) {
      if (e.path().extension() == ".wasm") modules.push_back(e.path().string());
    }
    std::sort(modules.begin(), modules.end());
  }
  std::string work = fs::temp_directory_path() / ("code_cache_bench." + std::to_string(::getpid()));
  fs::create_directories(work);
  std::printf("%s, medians of %d runs, each step in a fresh process\n", engine::V8Version().c_str(),
              runs);
  std::printf("%-42s %8s %10s %10s %9s %10s %9s\n", "module", "size", "compile", "stored",
              "entry", "load", "speed-up");
  std::printf("%-42s %8s %10s %10s %9s %10s %9s\n", "", "", "ms", "ms", "", "ms", "");
  for (const std::string& path : modules) {
    auto bytes = ReadBinaryFile(path);
    if (!bytes) Die(bytes.error().message);
    Measure(fs::path(path).filename().string(), *bytes, runs, work);
  }
  if (defaults) {
    Measure("synthetic 0.5 MB", SyntheticModule(512 * 1024, 1), runs, work);
    Measure("synthetic 2 MB", SyntheticModule(2 * 1024 * 1024, 2), runs, work);
  }
  fs::remove_all(work);
  return 0;
}

}  // namespace
}  // namespace kw

int main(int argc, char** argv) { return kw::Main(argc, argv); }
