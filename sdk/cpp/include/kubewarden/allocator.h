// kubewarden/allocator.h: a small malloc for wasm32 policies.
//
// wasi-libc's dlmalloc is about 9 KB of code, a sixth of a typical policy module. A policy's
// allocation pattern is simple: during one call it allocates a payload buffer, an arena or two
// and some strings, and frees them all before answering. SizeClassAllocator serves that with
// power-of-two size classes (16 B .. 2 GiB) and one free list per class: no splitting or
// coalescing, O(1) allocate and free, a few hundred bytes of code. Freed blocks are reused by
// later requests of the same class; memory is never returned to the host (wasm cannot shrink
// memory anyway). Worst case it holds about twice the peak live size per class.
//
// Every block starts 16 bytes after its header and is 16-byte aligned (alignof(max_align_t) on
// wasm32). Larger alignments are served by over-allocating.
//
// KUBEWARDEN_WAPC_GUEST (wapc.h) installs it as malloc/free/calloc/realloc/aligned_alloc/
// posix_memalign/malloc_usable_size unless KUBEWARDEN_USE_LIBC_MALLOC is defined. The class
// itself is portable, so native unit tests drive it with their own memory source.
//
// Not thread-safe (wasm32 guests are single-threaded).
#ifndef KUBEWARDEN_ALLOCATOR_H_
#define KUBEWARDEN_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace kubewarden::internal {

class SizeClassAllocator {
 public:
  // Returns `bytes` (a multiple of 16) of fresh memory, 16-byte aligned, or nullptr.
  using Source = void* (*)(std::size_t bytes);

  static constexpr std::size_t kAlign = 16;
  static constexpr std::size_t kHeader = 16;
  static constexpr unsigned kClasses = 28;  // blocks of 16 << c bytes, header included

  explicit constexpr SizeClassAllocator(Source source) : source_(source) {}

  void* Allocate(std::size_t size) {
    if (size > (std::size_t{16} << (kClasses - 1)) - kHeader) return nullptr;
    unsigned c = ClassOf(size + kHeader);
    char* block;
    if (free_[c] != nullptr) {
      block = free_[c];
      std::memcpy(&free_[c], block + kHeader, sizeof(char*));
    } else {
      block = static_cast<char*>(source_(std::size_t{16} << c));
      if (block == nullptr) return nullptr;
    }
    Header h = {static_cast<std::uint32_t>(c), 0};
    std::memcpy(block, &h, sizeof h);
    return block + kHeader;
  }

  void Free(void* p) {
    if (p == nullptr) return;
    char* block = Block(p);
    Header h;
    std::memcpy(&h, block, sizeof h);
    std::memcpy(block + kHeader, &free_[h.size_class], sizeof(char*));
    free_[h.size_class] = block;
  }

  // Usable bytes of the block holding `p`.
  std::size_t UsableSize(const void* p) const {
    if (p == nullptr) return 0;
    const char* block = Block(p);
    Header h;
    std::memcpy(&h, block, sizeof h);
    return (std::size_t{16} << h.size_class) - kHeader -
           static_cast<std::size_t>(static_cast<const char*>(p) - (block + kHeader));
  }

  void* Reallocate(void* p, std::size_t size) {
    if (p == nullptr) return Allocate(size);
    std::size_t usable = UsableSize(p);
    if (size <= usable) return p;
    void* q = Allocate(size);
    if (q == nullptr) return nullptr;
    std::memcpy(q, p, usable);
    Free(p);
    return q;
  }

  void* AllocateZeroed(std::size_t count, std::size_t size) {
    if (size != 0 && count > ~std::size_t{0} / size) return nullptr;
    void* p = Allocate(count * size);
    if (p != nullptr) std::memset(p, 0, count * size);
    return p;
  }

  // `align` must be a power of two.
  void* AllocateAligned(std::size_t align, std::size_t size) {
    if (align <= kAlign) return Allocate(size);
    if (size > ~std::size_t{0} - align) return nullptr;
    char* p = static_cast<char*>(Allocate(size + align));
    if (p == nullptr) return nullptr;
    std::uintptr_t aligned = (reinterpret_cast<std::uintptr_t>(p) + align - 1) & ~(align - 1);
    if (aligned == reinterpret_cast<std::uintptr_t>(p)) return p;
    // A forwarding header right before the aligned pointer (there are >= 16 bytes: align > 16).
    Header h = {kForward,
                static_cast<std::uint32_t>(aligned - reinterpret_cast<std::uintptr_t>(p))};
    std::memcpy(reinterpret_cast<char*>(aligned) - kHeader, &h, sizeof h);
    return reinterpret_cast<void*>(aligned);
  }

 private:
  struct Header {
    std::uint32_t size_class;  // or kForward
    std::uint32_t offset;      // kForward: bytes back to the real payload
  };
  static constexpr std::uint32_t kForward = 0xFFFFFFFFu;

  // The header block of the allocation `p`, following an aligned allocation's forward.
  static char* Block(const void* p) {
    char* block = const_cast<char*>(static_cast<const char*>(p)) - kHeader;
    Header h;
    std::memcpy(&h, block, sizeof h);
    if (h.size_class == kForward) block -= h.offset;
    return block;
  }

  static unsigned ClassOf(std::size_t bytes) {
    unsigned c = 0;
    while ((std::size_t{16} << c) < bytes) ++c;
    return c;
  }

  Source source_;
  char* free_[kClasses] = {};
};

#if defined(__wasm__)
extern "C" char __heap_base;

// The wasm memory source: the space between __heap_base and the end of the initial memory
// first, then memory.grow.
inline void* WasmHeapSource(std::size_t bytes) {
  constexpr std::size_t kPage = 65536;
  static char* next = nullptr;
  static char* end = nullptr;
  if (next == nullptr) {
    next = reinterpret_cast<char*>((reinterpret_cast<std::uintptr_t>(&__heap_base) + 15) & ~15u);
    std::size_t pages = __builtin_wasm_memory_size(0);
    // (A full 4 GiB memory cannot be described in 32 bits; stop one page short.)
    end = reinterpret_cast<char*>(pages >= 65536 ? 65535 * kPage : pages * kPage);
  }
  if (static_cast<std::size_t>(end - next) < bytes) {
    std::size_t missing = bytes - static_cast<std::size_t>(end - next);
    std::size_t pages = missing / kPage + (missing % kPage != 0);
    std::size_t old = __builtin_wasm_memory_grow(0, pages);
    if (old == static_cast<std::size_t>(-1)) return nullptr;
    char* grown = reinterpret_cast<char*>(old * kPage);
    if (grown != end) {
      // Someone else grew memory since: continue in the new pages, wholly.
      next = grown;
      end = grown + pages * kPage;
      if (static_cast<std::size_t>(end - next) < bytes) {
        std::size_t more = (bytes - pages * kPage + kPage - 1) / kPage;
        if (__builtin_wasm_memory_grow(0, more) != old + pages) return nullptr;
        end += more * kPage;
      }
    } else {
      end += pages * kPage;
    }
  }
  char* p = next;
  next += bytes;
  return p;
}

inline SizeClassAllocator g_allocator(WasmHeapSource);
#endif

}  // namespace kubewarden::internal

#endif  // KUBEWARDEN_ALLOCATOR_H_
