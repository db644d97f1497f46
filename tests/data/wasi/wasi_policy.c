// A Kubewarden WASI policy (executionMode: wasi) in C, for the WASI runtime's tests: the upstream
// protocol (argv[1] = validate | validate-settings, the JSON on stdin, the answer on stdout).
//
// What it does is chosen by a `"mode":"<name>"` marker anywhere in its input: the settings
// (validate-settings), or the settings inside the validate payload. See tests/data/README.md.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

// Where memory_bomb's blocks go: without it the compiler drops the allocations as dead.
char* volatile g_sink;

__attribute__((import_module("host"), import_name("call"))) int32_t host_call(
    const char* binding, size_t binding_len, const char* ns, size_t ns_len, const char* op,
    size_t op_len, const char* payload, size_t payload_len);

__attribute__((import_module("kubewarden:javy/host"), import_name("call"))) int32_t javy_host_call(
    const char* binding, size_t binding_len, const char* ns, size_t ns_len, const char* op,
    size_t op_len, const char* payload, size_t payload_len);

// Reads stdin to its end (as the Go SDK's io.ReadAll does); returns a NUL-terminated buffer.
static char* ReadAll(size_t* size_out) {
  size_t cap = 4096, size = 0;
  char* buf = malloc(cap);
  for (;;) {
    if (cap - size < 1024) {
      cap *= 2;
      buf = realloc(buf, cap);
    }
    ssize_t n = read(0, buf + size, cap - size - 1);
    if (n < 0) {
      fprintf(stderr, "read(stdin) failed: %s\n", strerror(errno));
      exit(5);
    }
    if (n == 0) break;
    size += (size_t)n;
  }
  buf[size] = '\0';
  if (size_out) *size_out = size;
  return buf;
}

static int HasMode(const char* input, const char* mode) {
  char marker[64];
  snprintf(marker, sizeof marker, "\"mode\":\"%s\"", mode);
  return strstr(input, marker) != NULL;
}

static void PrintEscaped(const char* text) {
  for (const unsigned char* p = (const unsigned char*)text; *p; ++p) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p < 0x20) printf("\\u%04x", *p);
    else putchar(*p);
  }
}

// Prints `{"accepted":false,"message":"<prefix><text>"}` with `text` JSON-escaped.
static void Reject(const char* prefix, const char* text) {
  printf("{\"accepted\":false,\"message\":\"%s", prefix);
  PrintEscaped(text);
  printf("\"}");
}

static int IsPrivileged(const char* input) {
  for (const char* p = strstr(input, "\"privileged\""); p; p = strstr(p + 1, "\"privileged\"")) {
    const char* q = p + strlen("\"privileged\"");
    while (*q == ' ') ++q;
    if (*q != ':') continue;
    ++q;
    while (*q == ' ') ++q;
    if (strncmp(q, "true", 4) == 0) return 1;
  }
  return 0;
}

typedef int32_t (*HostCallFn)(const char*, size_t, const char*, size_t, const char*, size_t,
                              const char*, size_t);

// One host call; the answer (or the error text) is what follows on stdin.
static void CallHost(HostCallFn fn, const char* binding, const char* ns, const char* op,
                     const char* payload) {
  int32_t rc = fn(binding, strlen(binding), ns, strlen(ns), op, strlen(op), payload,
                  strlen(payload));
  char* answer = ReadAll(NULL);
  char prefix[64];
  snprintf(prefix, sizeof prefix, "host.call returned %d: ", (int)rc);
  Reject(prefix, answer);
  free(answer);
}

static int ValidateSettings(const char* input) {
  if (HasMode(input, "settings_exit")) {
    fputs("  the settings made me exit  \n", stderr);
    return 4;
  }
  if (HasMode(input, "echo")) {
    // What arrived on stdin, back as the message.
    fputs("{\"valid\":false,\"message\":\"", stdout);
    PrintEscaped(input);
    fputs("\"}", stdout);
  } else if (HasMode(input, "settings_garbage")) {
    fputs("this is not json", stdout);
  } else if (HasMode(input, "invalid")) {
    puts("{\"valid\":false,\"message\":\"the settings are invalid\"}");
  } else {
    puts("{\"valid\":true}");
  }
  return 0;
}

static int Validate(const char* input) {
  if (HasMode(input, "exit")) {
    fputs("{\"accepted\":", stdout);
    fputs("\nthe policy failed on purpose\n\n", stderr);
    return 3;
  }
  if (HasMode(input, "exit0")) {
    fputs("{\"accepted\":true}", stdout);
    fflush(stdout);
    exit(0);
  }
  if (HasMode(input, "echo")) {
    Reject("", input);
    return 0;
  }
  if (HasMode(input, "memory_bomb")) {
    // Allocates (and touches) 1 MiB at a time until malloc fails: the module's memory cap.
    for (int mib = 0;; ++mib) {
      char* block = malloc(1 << 20);
      g_sink = block;
      if (block == NULL) {
        fprintf(stderr, "malloc failed after %d MiB\n", mib);
        return 6;
      }
      memset(block, 1, 1 << 20);
    }
  }
  if (HasMode(input, "long_sleep")) {
    sleep(60);
    fputs("{\"accepted\":true}", stdout);
    return 0;
  }
  if (HasMode(input, "oob_host_call")) {
    // A payload range past the end of memory: the host must refuse it, not read it.
    host_call("kubewarden", 10, "tracing", 7, "log", 3, (const char*)0xFFFFFF00u, 0x1000);
    fputs("{\"accepted\":true,\"message\":\"host did not trap\"}", stdout);
    return 0;
  }
  if (HasMode(input, "garbage")) {
    fputs("this is not json", stdout);
    return 0;
  }
  if (HasMode(input, "trap")) {
    fputs("about to trap\n", stderr);
    fflush(stderr);
    __builtin_trap();
  }
  if (HasMode(input, "loop")) {
    volatile uint64_t spins = 0;
    for (;;) ++spins;
  }
  if (HasMode(input, "huge")) {
    // A valid answer of 32 MiB: only an output cap makes it fail.
    const size_t chunk_size = 1 << 20;
    char* chunk = malloc(chunk_size);
    memset(chunk, 'x', chunk_size);
    fputs("{\"accepted\":true,\"message\":\"", stdout);
    for (int i = 0; i < 32; ++i) fwrite(chunk, 1, chunk_size, stdout);
    free(chunk);
    fputs("\"}", stdout);
    return 0;
  }
  if (HasMode(input, "log")) {
    CallHost(host_call, "kubewarden", "tracing", "log",
             "{\"level\":\"info\",\"message\":\"hello from a WASI policy\"}");
    return 0;
  }
  if (HasMode(input, "javy_log")) {
    CallHost(javy_host_call, "kubewarden", "tracing", "log",
             "{\"level\":\"info\",\"message\":\"hello from a Javy policy\"}");
    return 0;
  }
  if (HasMode(input, "dns")) {
    CallHost(host_call, "kubewarden", "net", "v1/dns_lookup_host", "\"localhost\"");
    return 0;
  }
  if (HasMode(input, "bad_binding")) {
    CallHost(host_call, "nope", "tracing", "log", "{}");
    return 0;
  }
  if (HasMode(input, "sleep")) {
    // poll_oneoff with a clock: time must really pass, without the guest spinning.
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    usleep(50 * 1000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long us = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
    if (us < 50 * 1000) {
      char text[64];
      snprintf(text, sizeof text, "%lld us", us);
      Reject("usleep(50 ms) returned after ", text);
    } else {
      fputs("{\"accepted\":true}", stdout);
    }
    return 0;
  }
  if (HasMode(input, "slow")) {
    // Slow but in time: a guest waiting on something for 600 ms, holding its thread.
    usleep(600 * 1000);
    fputs("{\"accepted\":true}", stdout);
    return 0;
  }
  if (HasMode(input, "nonblock")) {
    // What Go's wasip1 runtime does to stdio: fd_fdstat_set_flags, read back by fd_fdstat_get.
    if (fcntl(0, F_SETFL, O_NONBLOCK) != 0) {
      Reject("fcntl(F_SETFL) failed: ", strerror(errno));
    } else if ((fcntl(0, F_GETFL) & O_NONBLOCK) == 0) {
      Reject("", "O_NONBLOCK was not kept");
    } else {
      fputs("{\"accepted\":true}", stdout);
    }
    return 0;
  }
  if (IsPrivileged(input)) {
    Reject("", "Privileged container is not allowed");
  } else {
    fputs("{\"accepted\":true}", stdout);
  }
  return 0;
}

int main(int argc, char** argv) {
  // Upstream runs the program with exactly this argv and no environment.
  if (argc != 2 || strcmp(argv[0], "policy.wasm") != 0) {
    fprintf(stderr, "unexpected argv (argc %d)\n", argc);
    return 2;
  }
  if (environ != NULL && environ[0] != NULL) {
    fprintf(stderr, "unexpected environment: %s\n", environ[0]);
    return 2;
  }
  char* input = ReadAll(NULL);
  int rc;
  if (strcmp(argv[1], "validate") == 0) {
    rc = Validate(input);
  } else if (strcmp(argv[1], "validate-settings") == 0) {
    rc = ValidateSettings(input);
  } else {
    fprintf(stderr, "unknown operation %s\n", argv[1]);
    rc = 2;
  }
  free(input);
  return rc;
}
