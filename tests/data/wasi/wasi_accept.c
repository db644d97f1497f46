// The smallest useful Kubewarden WASI policy: reads its whole input and accepts. The benchmark's
// "trivial WASI policy", so it sticks to read/write (no stdio buffers to set up).
#include <unistd.h>

int main(void) {
  static char buf[64 * 1024];
  while (read(0, buf, sizeof buf) > 0) {
  }
  static const char kAnswer[] = "{\"accepted\":true}";
  return write(1, kAnswer, sizeof kAnswer - 1) == sizeof kAnswer - 1 ? 0 : 1;
}
